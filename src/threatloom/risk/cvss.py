"""CVSS vectors of hand-written threats: parsed and scored with the `cvss` package.

A manual threat may carry a CVSS v3.0/v3.1 or v4.0 vector. Its base score gives the threat's impact
on the 1-5 scale through the CVSS qualitative severity (none 1, low 2, medium 3, high 4, critical 5),
the same steps an asset's CIA rating gives. A vector that does not parse is an input error at the
threat's location, never silently ignored.
"""

from __future__ import annotations

import msgspec

from threatloom.errors import Problem
from threatloom.model.schema import Model

SEVERITY_IMPACT = {"none": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}


class CvssScore(msgspec.Struct, frozen=True):
    vector: str
    version: str  # "3.0", "3.1" or "4.0"
    base_score: float
    severity: str  # none, low, medium, high or critical

    @property
    def impact(self) -> int:
        """The base score's qualitative severity on the 1-5 impact scale."""
        return SEVERITY_IMPACT[self.severity]


class CvssError(ValueError):
    """A CVSS vector that does not parse; the message says why."""


def cvss_score(vector: str) -> CvssScore:
    """Score a CVSS v3.x or v4.0 vector; CvssError when it does not parse."""
    from cvss import CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    text = vector.strip()
    try:
        if text.startswith("CVSS:4.0/"):
            v4 = CVSS4(text)
            return CvssScore(text, "4.0", float(v4.base_score), str(v4.severity).lower())
        if text.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            v3 = CVSS3(text)
            return CvssScore(text, text[5:8], float(v3.scores()[0]), str(v3.severities()[0]).lower())
    except CVSSError as exc:
        raise CvssError(str(exc)) from None
    raise CvssError("a vector starts with CVSS:3.1/ or CVSS:4.0/ (CVSS v2 is not supported)")


def cvss_scores(model: Model) -> tuple[dict[str, CvssScore], list[Problem]]:
    """The scores of every manual threat with a vector, and a located problem for each bad vector."""
    scores: dict[str, CvssScore] = {}
    problems: list[Problem] = []
    for threat in model.threats:
        if threat.cvss is None:
            continue
        try:
            scores[threat.id] = cvss_score(threat.cvss)
        except CvssError as exc:
            problems.append(Problem(
                model.locate(f"threats/{threat.id}"), f"threat {threat.id!r}: invalid CVSS vector "
                f"{threat.cvss!r}: {exc}", "write a complete CVSS v3.1 or v4.0 vector, e.g. "
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid-cvss",
                path=f"threats.{threat.id}.cvss"))
    return scores, problems
