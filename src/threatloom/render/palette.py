"""One colour scale for risk levels, shared by diagrams, reports and spreadsheets.

Fills are light enough for black text (contrast above 7:1); strokes are the strong tone of each level.
"""

from __future__ import annotations

from threatloom.model.vocabulary import Level

FILL = {Level.LOW: "#dcefd4", Level.MEDIUM: "#fff0b3", Level.HIGH: "#ffd0a1", Level.CRITICAL: "#f6b0b0"}
STROKE = {Level.LOW: "#3d7a2a", Level.MEDIUM: "#9a7400", Level.HIGH: "#c25a00", Level.CRITICAL: "#b00020"}
NO_RISK_FILL = "#ffffff"
NO_RISK_STROKE = "#6b6b6b"
PLAINTEXT = "#b00020"  # unencrypted flows
UNKNOWN = "#c25a00"  # protection not recorded
ZONE = "#4a5a70"
OUT_OF_SCOPE_FILL = "#eeeeee"


def fill(level: Level | None) -> str:
    return NO_RISK_FILL if level is None else FILL[level]


def stroke(level: Level | None) -> str:
    return NO_RISK_STROKE if level is None else STROKE[level]
