"""What a Threat Modeling Tool shape is: our element type from its generic type, our kind from its stencil.

The generic type (`GE.P`, `GE.EI`, `GE.DS`) fixes process / external entity / data store; the stencil
(`SE.DS.TMCore.AzureKeyVault`, shown as "Azure Key Vault") tells what it is, so that threatloom's
rules that target databases, identity providers or browsers fire on the import. Stencils are matched
by words in their name and type ID, first match wins; a stencil no pattern knows stays `other`.
"""

from __future__ import annotations

import re

ELEMENT_TYPES = {"GE.P": "process", "GE.EI": "external-entity", "GE.DS": "data-store"}
BORDER_BOUNDARY = "GE.TB.B"
LINE_BOUNDARY = "GE.TB.L"
FLOW = "GE.DF"
ANNOTATION = "GE.A"

_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "data-store": (
        (r"key ?vault", "secrets-manager"),
        (r"redis|cache", "cache"),
        (r"\blogs?\b|log ?(store|data|analytics)", "log-store"),
        (r"queue|event ?hub|service ?bus", "queue"),
        (r"sql|database|\bdb\b|cosmos|documentdb|postgres|mysql|nosql|data ?warehouse", "database"),
        (r"file ?system|\bfs\b", "file-storage"),
        (r"storage|blob|bucket", "object-storage"),
    ),
    "process": (
        (r"\bad\b|adfs|identity|idsrv|\bauth", "identity-provider"),
        (r"api ?gateway|api ?management", "api-gateway"),
        (r"web ?api|api ?app|\bapi\b|wcf|web ?service|websvc", "api"),
        (r"mobile ?app", "api"),  # Azure App Service Mobile App: the back end of mobile clients
        (r"web ?app|web ?application|portal|web ?server", "web-application"),
        (r"traffic ?manager|load ?balancer", "load-balancer"),
        (r"iot ?field ?gateway|field ?gateway", "gateway-device"),
        (r"iot ?cloud ?gateway|iot ?hub", "service"),
        (r"event ?hub|queue|service ?bus", "queue"),
        (r"web ?job|worker", "worker"),
        (r"function", "function"),
        (r"browser", "browser"),
        (r"\bhost\b|virtual ?machine|\bvm\b", "virtual-machine"),
        (r"logic ?app|data ?factory|stream ?analytics|\bml\b|data ?explorer|dynamics|service", "service"),
    ),
    "external-entity": (
        (r"browser", "browser"),
        (r"mobile", "mobile-app"),
        (r"outlook|desktop|thick ?client", "desktop-app"),
        (r"iot", "iot-device"),
        (r"auth\w* ?provider|identity", "identity-provider"),
        (r"human|user", "user"),
        (r"web ?service|web ?app|\bapi\b|saas", "third-party-service"),
    ),
}


def kind_of(element_type: str, type_id: str, stencil: str | None) -> tuple[str, str | None]:
    """Our kind, and the words that told it (None when nothing did)."""
    # type IDs run words together (SE.P.TMCore.AzureKeyVault): split them before matching
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type_id.rsplit(".", 1)[-1])
    haystack = f"{stencil or ''} | {spaced}".lower()
    for pattern, kind in _RULES.get(element_type, ()):
        found = re.search(pattern, haystack)
        if found:
            return kind, found.group(0)
    return "other", None
