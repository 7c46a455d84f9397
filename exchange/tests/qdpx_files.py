"""REFI-QDA projects built in memory with the habits of the tools that write them (NOTES.md), for
the import tests. A test says which words each selection means; the builder writes the offsets the
way the tool counts them, so a test can check that every selection lands on those words.

Tools and their habits:

- NVivo (Windows): text files with a byte-order mark and CRLF line ends, offsets in UTF-16 code
  units counting the CR, the folder written `Sources/`, one selection per coding.
- ATLAS.ti: CRLF files but a line break counted as one character, the `.qde` named after the
  project, one selection with several codings, quotations' words as the selection's name.
- MAXQDA / QualCoder: older namespaces (`urn:QDA-XML:project:0:10`, `…:1:0`), GUIDs in braces
  and upper case, text paths without `internal://`.
- Taguette-like: the text inline in `PlainTextContent`.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field

from lxml import etree

NS = "urn:QDA-XML:project:1.0"


@dataclass
class Mark:
    """A selection: the words meant (the `nth` occurrence in the text), its codes (names) by a user."""

    words: str
    codes: list[str]
    user: str = "anna"
    nth: int = 0
    note: str = ""  # a note referenced from the selection
    coding_note: str = ""  # a note referenced from its (first) coding
    description: str = ""  # the selection's Description


@dataclass
class Doc:
    name: str
    text: str  # with LF line ends; the builder writes CRLF where the tool does
    marks: list[Mark] = field(default_factory=list)
    case: str | None = None
    note: str = ""  # a note on the whole source
    description: str = ""


@dataclass
class Habits:
    namespace: str = NS
    qde_name: str = "project.qde"
    folder: str = "sources"
    bom: bool = False
    crlf: bool = False
    counting: str = "cp"  # "cp" (code points), "utf16" (UTF-16 units), "crlf_one"
    braced_upper: bool = False
    internal: bool = True
    inline: bool = False
    selection_per_coding: bool = False
    quote_names: bool = False


NVIVO = Habits(folder="Sources", bom=True, crlf=True, counting="utf16", selection_per_coding=True)
ATLAS = Habits(qde_name="Breakfast study.qde", crlf=True, counting="crlf_one", quote_names=True)
MAXQDA = Habits(namespace="urn:QDA-XML:project:0:10", braced_upper=True, internal=False)
QUALCODER = Habits(namespace="urn:QDA-XML:project:1:0", braced_upper=True, internal=False)
TAGUETTE = Habits(inline=True)


def offset(text: str, index: int, habits: Habits) -> int:
    """Where `index` of the LF text is, counted the tool's way in the text it writes."""
    raw = text.replace("\n", "\r\n") if habits.crlf else text
    raw_index = index + (text[:index].count("\n") if habits.crlf else 0)
    if habits.counting == "utf16":
        return len(raw[:raw_index].encode("utf-16-le")) // 2
    if habits.counting == "crlf_one":
        return index
    return raw_index


def find(text: str, words: str, nth: int = 0) -> int:
    at = -1
    for _ in range(nth + 1):
        at = text.index(words, at + 1)
    return at


class Builder:
    def __init__(self, habits: Habits, *, name: str = "Breakfast study"):
        self.habits = habits
        self.name = name
        self.guids: dict[str, str] = {}
        self.root = etree.Element(self.tag("Project"), nsmap={None: habits.namespace})
        self.root.set("name", name)
        self.files: dict[str, bytes] = {}
        self.notes: list[tuple[str, str, str | None]] = []  # guid, text, user

    def tag(self, name: str) -> str:
        return f"{{{self.habits.namespace}}}{name}"

    def guid(self, key: str | None = None) -> str:
        value = str(uuid.uuid4())
        if key is not None:
            value = self.guids.setdefault(key, value)
        return "{" + value.upper() + "}" if self.habits.braced_upper else value

    def sub(self, parent, tag_name: str, /, **attributes):
        element = etree.SubElement(parent, self.tag(tag_name))
        for key, value in attributes.items():
            if value is not None:
                element.set(key, str(value))
        return element

    def note(self, text: str, user: str | None = None, name: str = "") -> str:
        guid = self.guid()
        self.notes.append((guid, text, user, name))
        return guid

    def build(
        self,
        docs: list[Doc],
        *,
        codes: list[tuple[str, str | None]] | None = None,  # (name, parent name)
        users: list[str] = ("anna", "ben"),
        variables: dict[str, str] | None = None,  # name → type
        values: dict[str, dict[str, object]] | None = None,  # case → variable → value
        colours: dict[str, str] | None = None,
        code_notes: dict[str, str] | None = None,
        loose_notes: list[str] = (),
        extra_sources: list[etree._Element] = (),
        links: list[tuple[str, str]] = (),  # (note text, selection words) as ATLAS.ti links
    ) -> bytes:
        root = self.root
        used_codes = [c for doc in docs for m in doc.marks for c in m.codes]
        codes = codes or [(name, None) for name in dict.fromkeys(used_codes)]
        colours = colours or {}
        code_notes = code_notes or {}
        if users:
            element = self.sub(root, "Users")
            for user in users:
                self.sub(element, "User", guid=self.guid(f"user:{user}"), name=user)
        book = self.sub(self.sub(root, "CodeBook"), "Codes")
        elements = {}
        for name, parent in codes:
            container = elements[parent] if parent else book
            code = self.sub(
                container,
                "Code",
                guid=self.guid(f"code:{name}"),
                name=name,
                isCodable="true",
                color=colours.get(name),
            )
            if name in code_notes:
                self.sub(code, "NoteRef", targetGUID=self.note(code_notes[name]))
            elements[name] = code
        if variables:
            element = self.sub(root, "Variables")
            for name, kind in variables.items():
                self.sub(
                    element,
                    "Variable",
                    guid=self.guid(f"variable:{name}"),
                    name=name,
                    typeOfVariable=kind,
                )
        cases = {doc.case for doc in docs if doc.case}
        if cases:
            element = self.sub(root, "Cases")
            for case in sorted(cases):
                item = self.sub(element, "Case", guid=self.guid(f"case:{case}"), name=case)
                for variable, value in (values or {}).get(case, {}).items():
                    holder = self.sub(item, "VariableValue")
                    self.sub(holder, "VariableRef", targetGUID=self.guid(f"variable:{variable}"))
                    kind = (variables or {}).get(variable, "Text")
                    child = self.sub(holder, f"{kind}Value")
                    child.text = str(value).lower() if kind == "Boolean" else str(value)
                for doc in docs:
                    if doc.case == case:
                        self.sub(item, "SourceRef", targetGUID=self.guid(f"source:{doc.name}"))
        sources = self.sub(root, "Sources")
        for doc in docs:
            self.source(sources, doc)
        for extra in extra_sources:
            sources.append(extra)
        link_targets = []
        for text, words in links:
            link_targets.append((self.note(text), self.guids[f"selection:{words}"]))
        for text in loose_notes:
            self.note(text, name="Project note")
        if self.notes:
            element = self.sub(root, "Notes")
            for guid, text, user, name in self.notes:
                note = self.sub(
                    element,
                    "Note",
                    guid=guid,
                    name=name or None,
                    creatingUser=self.guid(f"user:{user}") if user else None,
                )
                self.sub(note, "PlainTextContent").text = text
        if link_targets:
            element = self.sub(root, "Links")
            for note, selection in link_targets:
                self.sub(
                    element,
                    "Link",
                    guid=self.guid(),
                    name="Memo-Quotation Relation",
                    direction="OneWay",
                    originGUID=note,
                    targetGUID=self.guid_form(selection),
                )
        return self.zip()

    def guid_form(self, value: str) -> str:
        return "{" + value.upper() + "}" if self.habits.braced_upper else value

    def source(self, parent, doc: Doc) -> None:
        h = self.habits
        text_guid = str(uuid.uuid4()).upper()
        attributes = {"guid": self.guid(f"source:{doc.name}"), "name": doc.name}
        raw = doc.text.replace("\n", "\r\n") if h.crlf else doc.text
        if not h.inline:
            path = f"{text_guid}.txt"
            attributes["plainTextPath"] = f"internal://{path}" if h.internal else path
            self.files[f"{h.folder}/{path}"] = (b"\xef\xbb\xbf" if h.bom else b"") + raw.encode()
        element = self.sub(parent, "TextSource", **attributes)
        if doc.description:
            self.sub(element, "Description").text = doc.description
        if h.inline:
            self.sub(element, "PlainTextContent").text = raw
        for mark in doc.marks:
            at = find(doc.text, mark.words, mark.nth)
            start, end = offset(doc.text, at, h), offset(doc.text, at + len(mark.words), h)
            codings = [[code] for code in mark.codes] if h.selection_per_coding else [mark.codes]
            for index, group in enumerate(codings):
                guid = self.guid()
                self.guids.setdefault(f"selection:{mark.words}", guid.strip("{}").lower())
                selection = self.sub(
                    element,
                    "PlainTextSelection",
                    guid=guid,
                    name=mark.words if h.quote_names else f"selection {index + 1}",
                    startPosition=start,
                    endPosition=end,
                    creatingUser=self.guid(f"user:{mark.user}"),
                )
                if mark.description and index == 0:
                    self.sub(selection, "Description").text = mark.description
                for position, code in enumerate(group):
                    coding = self.sub(
                        selection,
                        "Coding",
                        guid=self.guid(),
                        creatingUser=self.guid(f"user:{mark.user}"),
                    )
                    self.sub(coding, "CodeRef", targetGUID=self.guid(f"code:{code}"))
                    if mark.coding_note and index == 0 and position == 0:
                        self.sub(
                            coding, "NoteRef", targetGUID=self.note(mark.coding_note, mark.user)
                        )
                if mark.note and index == 0:
                    self.sub(selection, "NoteRef", targetGUID=self.note(mark.note, mark.user))
        if doc.note:
            self.sub(element, "NoteRef", targetGUID=self.note(doc.note))

    def zip(self) -> bytes:
        xml = etree.tostring(self.root, xml_declaration=True, encoding="utf-8")
        return zip_of({self.habits.qde_name: xml, **self.files})


def zip_of(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=method)
    return out.getvalue()


def qdpx(docs: list[Doc], habits: Habits | None = None, **kwargs) -> bytes:
    return Builder(habits or Habits()).build(docs, **kwargs)
