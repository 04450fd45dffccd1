"""Web addresses of the references threats cite: CAPEC, CWE and MITRE ATT&CK."""

from __future__ import annotations

import re

import msgspec

from threatloom.engine.threat import Threat

_ATTACK = re.compile(r"^T(\d{4})(?:\.(\d{3}))?$")


class Link(msgspec.Struct, frozen=True):
    label: str
    url: str | None  # None when the identifier has no known page


def capec(number: int) -> Link:
    return Link(f"CAPEC-{number}", f"https://capec.mitre.org/data/definitions/{number}.html")


def cwe(number: int) -> Link:
    return Link(f"CWE-{number}", f"https://cwe.mitre.org/data/definitions/{number}.html")


def attack(technique: str) -> Link:
    """``T1234`` and sub-techniques ``T1234.001`` (the site writes those as ``T1234/001/``)."""
    found = _ATTACK.match(technique)
    if found is None:
        return Link(technique, None)
    path = found.group(1) + (f"/{found.group(2)}" if found.group(2) else "")
    return Link(technique, f"https://attack.mitre.org/techniques/T{path}/")


def references(threat: Threat) -> list[Link]:
    return ([capec(n) for n in threat.capec] + [cwe(n) for n in threat.cwe]
            + [attack(t) for t in threat.attack])
