"""Namespace-blind access to the Microsoft Threat Modeling Tool's XML, with located errors.

A .tm7 file is a .NET DataContract serialisation: every element sits in one of several namespaces
(`ThreatModeling.Model`, `…Model.Abstracts`, `…KnowledgeBase`, `Serialization/Arrays`) that vary
between versions of the tool, so elements are found by their local name. The tree has no line
numbers (ElementTree keeps none); an error is located by finding a nearby unique text - usually the
GUID of the shape concerned - in the file's text.
"""

from __future__ import annotations

import math
from xml.etree.ElementTree import Element

import msgspec

from threatloom.errors import InputError, Problem, SourceLocation, line_and_column
from threatloom.interop.reading import ForeignDocument

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
SERIAL = "{http://schemas.microsoft.com/2003/10/Serialization/}"
NO_GUID = "00000000-0000-0000-0000-000000000000"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def kids(element: Element, name: str | None = None) -> list[Element]:
    """Children of `element`, those with local name `name` when given."""
    return [c for c in element if name is None or local(c.tag) == name]


def kid(element: Element, name: str) -> Element | None:
    for c in element:
        if local(c.tag) == name:
            return c
    return None


def nil(element: Element) -> bool:
    return element.get(f"{XSI}nil") == "true"


def text(element: Element | None, name: str | None = None) -> str | None:
    """Stripped text of `element` (or of its child `name`); None when absent, nil or empty."""
    if element is not None and name is not None:
        element = kid(element, name)
    if element is None or nil(element):
        return None
    value = (element.text or "").strip()
    return value or None


def xsi_type(element: Element) -> str:
    """`i:type="b:ListDisplayAttribute"` -> `ListDisplayAttribute`."""
    return (element.get(f"{XSI}type") or "").rsplit(":", 1)[-1]


class Locator(msgspec.Struct):
    """Errors located in the file by a text near the problem (a GUID, a tag)."""

    document: ForeignDocument

    def where(self, *anchors: str) -> SourceLocation:
        """Line and column of the last of `anchors` found, each searched after the one before."""
        start, found = 0, -1
        for anchor in anchors:
            at = self.document.text.find(anchor, start)
            if at < 0:
                break
            start = found = at
        if found < 0:
            return SourceLocation(self.document.display)
        return SourceLocation(self.document.display, *line_and_column(self.document.text, found))

    def error(self, path: str, message: str, hint: str, *anchors: str, code: str = "import") -> InputError:
        return InputError([Problem(self.where(*anchors), f"{path}: {message}", hint, code, path=path)])

    def required(self, element: Element, name: str, path: str, *anchors: str) -> Element:
        found = kid(element, name)
        if found is None:
            raise self.error(path, f"missing <{name}>", "the file does not follow the Threat Modeling Tool's "
                             "format; save it again from the tool", *anchors, code="import-missing")
        return found

    def number(self, element: Element, name: str, path: str, *anchors: str) -> float:
        """A numeric child (coordinates, sizes); 0 when absent."""
        value = text(element, name)
        if value is None:
            return 0.0
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise self.error(f"{path}.{name}", f"expected a number, found {value[:40]!r}",
                             "the file does not follow the Threat Modeling Tool's format", *anchors, f"<{name}",
                             code="import-type")
        return number
