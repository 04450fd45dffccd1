"""Shared for the import and export tests: where the public sample files of other tools are."""

from __future__ import annotations

from tests.conftest import SAMPLES

OTM = SAMPLES / "otm"
THREAT_DRAGON = SAMPLES / "threat-dragon"
THREAGILE = SAMPLES / "threagile"
THREAT_COMPOSER = SAMPLES / "threat-composer"
MTMT = SAMPLES / "mtmt"
