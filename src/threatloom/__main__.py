"""`python -m threatloom`: the same as the `threatloom` command."""

from threatloom.cli.app import main

main()
