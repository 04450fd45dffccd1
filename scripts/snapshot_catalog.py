"""Rewrite the built-in catalog's JSON snapshot after editing its YAML files (see threatloom.catalog.snapshot)."""

from threatloom.catalog.snapshot import write_snapshot

if __name__ == "__main__":
    print(f"wrote {write_snapshot()}")
