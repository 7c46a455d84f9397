"""A REFI-QDA project as plain data: what the exporter builds from the database and the writer
turns into `project.qde`, and what an importer can build from a `.qdpx` before it touches the
database. No Django here, no lxml: only dataclasses, so both directions (and the tests) share it.

Conventions, all of them the standard's or NOTES.md's:

- Every `guid` is a GUID string, `8-4-4-4-12` hex. The exporter writes them lower-case without
  braces; an importer normalises foreign ones with `exchange.qdpx.guids.normalise`.
- References are GUID strings too (a coding's `code`, a case's `sources` …), never objects, so a
  project read from a file can hold a dangling one until `validate.project_problems` finds it.
- A selection's `start` and `end` count Unicode code points of its source's `text` from 0, end
  exclusive: `source.text[selection.start:selection.end]` is the selected text.
- A source's `text` is exactly the text of `sources/<text_guid>.txt` (UTF-8, no BOM, LF only).
- Dates and times are aware `datetime`s (written in UTC), or None when unknown.
- Memos are `Note`s in `Project.notes`, referenced by GUID from what they are about: a code's
  `notes`, a source's `notes`, a coding's `notes`. A note on a coding is referenced from its
  selection too (other tools read notes on selections, few read them on codings): an importer
  attaches a note referenced from a `Coding` to that coding, and a note referenced only from a
  selection to the selection (or to its one coding by the note's author, if that is how it
  keeps memos).
- Each coder's layer is the codings whose `user` is that coder's User GUID.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

# The typeOfVariable values of Project.xsd.
VariableType = Literal["Text", "Boolean", "Integer", "Float", "Date", "DateTime"]
VariableValueType = str | bool | int | float | date | datetime


@dataclass
class User:
    guid: str
    name: str  # a username, never a person's real name


@dataclass
class Code:
    guid: str
    name: str
    color: str | None = None  # "#rrggbb" (or "#rgb" from other tools)
    description: str = ""
    is_codable: bool = True  # False: a folder or category that holds codes but codes nothing
    notes: list[str] = field(default_factory=list)  # Note GUIDs (memos on the code)
    children: list[Code] = field(default_factory=list)  # sub-codes: the hierarchy is nesting


@dataclass
class Coding:
    """One code applied to one selection by one user."""

    guid: str
    code: str  # Code GUID
    user: str | None = None  # User GUID: whose layer this coding belongs to (creatingUser)
    created: datetime | None = None
    notes: list[str] = field(default_factory=list)  # Note GUIDs (memos on this coding)


@dataclass
class Selection:
    """A PlainTextSelection: a span of a source's text, with every coding on it. One per distinct
    (source, start, end): two coders' codings of the same words share a selection."""

    guid: str
    start: int  # code points from 0
    end: int  # exclusive
    name: str = ""  # the selected words (what other tools show as the quotation's name)
    user: str | None = None  # User GUID of whoever first coded it
    created: datetime | None = None
    codings: list[Coding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # Note GUIDs


@dataclass
class Source:
    """A TextSource whose text is the file `sources/<text_guid>.txt`."""

    guid: str
    name: str
    text: str
    text_guid: str  # the file's name in sources/, referenced as internal://<text_guid>.txt
    description: str = ""
    user: str | None = None  # User GUID (creatingUser)
    created: datetime | None = None
    selections: list[Selection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # Note GUIDs (memos on the whole source)

    @property
    def plain_text_path(self) -> str:
        return f"internal://{self.text_guid}.txt"

    @property
    def file_name(self) -> str:
        """The member of the zip that holds the text."""
        return f"sources/{self.text_guid}.txt"


@dataclass
class Variable:
    guid: str
    name: str
    type: VariableType = "Text"
    description: str = ""
    choices: list[str] = field(default_factory=list)  # a list attribute's values, in order


@dataclass
class VariableValue:
    variable: str  # Variable GUID
    value: VariableValueType  # int for Integer, date for Date, str for Text …


@dataclass
class Case:
    """A participant: named by pseudonym, with attribute values and the sources of their words."""

    guid: str
    name: str
    description: str = ""
    values: list[VariableValue] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # Source GUIDs
    selections: list[str] = field(default_factory=list)  # Selection GUIDs


@dataclass
class Note:
    """A memo: a text of its own, by a user."""

    guid: str
    text: str
    name: str = ""
    user: str | None = None  # User GUID of the author
    created: datetime | None = None
    modified: datetime | None = None


@dataclass
class Set:
    """A named group of codes, sources and notes (the exporter: one per source project)."""

    guid: str
    name: str
    description: str = ""
    codes: list[str] = field(default_factory=list)  # Code GUIDs
    sources: list[str] = field(default_factory=list)  # Source GUIDs
    notes: list[str] = field(default_factory=list)  # Note GUIDs


@dataclass
class Project:
    name: str
    origin: str = ""
    description: str = ""
    user: str | None = None  # User GUID of whoever exported it (creatingUserGUID)
    created: datetime | None = None
    users: list[User] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)  # the top of the code tree
    variables: list[Variable] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    sets: list[Set] = field(default_factory=list)

    def walk_codes(self) -> Iterator[tuple[Code, Code | None]]:
        """Every code with its parent (None at the top), parents before children."""
        return walk_codes(self.codes)

    def selections(self) -> Iterator[tuple[Source, Selection]]:
        for source in self.sources:
            for selection in source.selections:
                yield source, selection

    def codings(self) -> Iterator[tuple[Source, Selection, Coding]]:
        for source, selection in self.selections():
            for coding in selection.codings:
                yield source, selection, coding


@dataclass
class Codebook:
    """A `.qdc`: the code tree alone."""

    codes: list[Code] = field(default_factory=list)
    origin: str = ""

    def walk_codes(self) -> Iterator[tuple[Code, Code | None]]:
        return walk_codes(self.codes)


def walk_codes(codes: list[Code]) -> Iterator[tuple[Code, Code | None]]:
    stack: list[tuple[Code, Code | None]] = [(code, None) for code in reversed(codes)]
    while stack:
        code, parent = stack.pop()
        yield code, parent
        stack.extend((child, code) for child in reversed(code.children))
