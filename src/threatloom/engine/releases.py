"""What a component's recorded technology says: the platform it runs on, and whether its release is still
supported, from the catalog's end-of-life list (`catalog/data/end-of-life.yaml`).

The list carries the day it was checked (`as_of`): a release is out of support when its end date is
before that day, so the same model gives the same answer on every run.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from threatloom.errors import InputError
from threatloom.model.pydantic_errors import describe_validation_error
from threatloom.model.schema import ShortText, Strict, Technology
from threatloom.model.yamlsource import read_yaml

_VERSION_WORD = re.compile(r"\d[\w.]*")


class Product(Strict):
    name: ShortText = Field(description="Product name, for readers.")
    match: ShortText = Field(description="Regular expression (case-insensitive) finding the product in "
                             "the technology's name and version.")
    source: ShortText = Field(description="Where the dates come from.")
    releases: dict[str, dt.date] = Field(min_length=1, description="Release -> last day of security support.")


class EndOfLifeFile(Strict):
    threatloom_end_of_life: Literal[1] = Field(alias="threatloom-end-of-life", description="Format version: 1.")
    as_of: dt.date = Field(description="The day the list was last checked.")
    products: tuple[Product, ...] = Field(description="Products and their releases.")


MAX_ANSWERS = 10_000


class EndOfLife:
    """The releases out of support on the list's own date, ready for matching."""

    def __init__(self, listing: EndOfLifeFile) -> None:
        self.as_of = listing.as_of
        self._products = [(re.compile(p.match, re.IGNORECASE),
                           tuple(r for r, end in p.releases.items() if end < listing.as_of))
                          for p in listing.products]
        self._answers: dict[str, bool] = {"": False}  # by text: many components share a technology

    def ended(self, text: str) -> bool:
        """True when `text` (technology name and version) names a release whose support has ended."""
        found = self._answers.get(text)
        if found is None:
            if len(self._answers) > MAX_ANSWERS:  # the list lives as long as the process: keep it bounded
                self._answers = {"": False}
            found = self._answers[text] = self._ended(text)
        return found

    def _ended(self, text: str) -> bool:
        for pattern, ended in self._products:
            if not ended:
                continue
            found = pattern.search(text)
            if found is None:
                continue
            word = _VERSION_WORD.search(text, found.end())
            if word is not None and any(_same_release(word.group(), r) for r in ended):
                return True
        return False


def _same_release(word: str, release: str) -> bool:
    """`word` is `release` or one of its point releases: "4.2.16" and "4.2LTS" are 4.2, "4.20" is not."""
    word, release = word.lower(), release.lower()
    return word == release or (word.startswith(release) and not word[len(release)].isdigit())


def load_end_of_life(path: Path | None = None) -> EndOfLife:
    from threatloom.catalog.snapshot import builtin_document

    document = read_yaml(path) if path is not None else builtin_document("end-of-life.yaml")
    try:
        return EndOfLife(EndOfLifeFile.model_validate(document.data))
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, document.locate, root=EndOfLifeFile)) from None


@cache
def builtin_end_of_life() -> EndOfLife:
    return load_end_of_life()


def technology_text(technology: Technology | None) -> str:
    if technology is None:
        return ""
    return f"{technology.name} {technology.version or ''}".strip()


def end_of_life(technology: Technology | None) -> bool:
    return builtin_end_of_life().ended(technology_text(technology))


def runs_windows(technology: Technology | None) -> bool:
    """Its technology, version or CPE names Windows (Active Directory runs on nothing else)."""
    if technology is None:
        return False
    text = " ".join(p for p in (technology.name, technology.version, technology.cpe) if p).lower()
    return "windows" in text or "active directory" in text or ":microsoft:windows" in text
