"""The contract every report format fulfils: what it is given, and what it returns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import msgspec

from threatloom.engine.threat import Analysis
from threatloom.model.schema import Model

if TYPE_CHECKING:
    from threatloom.catalog.schema import CatalogControl


class ReportInput(msgspec.Struct, frozen=True):
    """Everything a report shows. Renderers read it; they compute no risk of their own."""

    model: Model
    analysis: Analysis
    controls: Mapping[str, CatalogControl] = msgspec.field(default_factory=dict)
    """The catalog's controls, for the NIST SP 800-53 and OWASP ASVS references of candidate controls."""
    previous: Analysis | None = None
    """The analysis of an earlier version of the model, to show progress."""
    previous_label: str = ""
    """How to name that earlier version to readers (its file name or version)."""


class ReportFormat(ABC):
    """One output format. Implementations live one per module in :mod:`threatloom.render.report`."""

    name: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]

    @abstractmethod
    def render(self, report: ReportInput) -> bytes:
        """The whole report file. Same input, same bytes (PDF excepted: it records when it was made)."""
