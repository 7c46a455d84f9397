"""From the bytes of a `.qdpx` to the plain data of `exchange.qdpx.data`, read as leniently as
other tools' files need (NOTES.md) and as strictly as safety needs (`exchange.qdpx.safety`).

Lenient: any namespace `urn:QDA-XML:project:…` (older tools write `0:10` or `1:0`), GUIDs in
either case and in braces, folder and file names in any case, a `.qde` named after the project,
text paths without `internal://`, a text file with a byte-order mark and CRLF line ends, offsets
counted as UTF-16 units or with CRLF as one (`exchange.qdpx.offsets` decides, per source), one
selection per coding (spans are deduplicated), memos as descriptions, notes or links.

What cannot be imported is reported, not fatal: pictures, audio and video, PDF page areas (a PDF's
text representation is read as a text source), sets and graphs, links between other things,
references to notes, sources or variables that are not there.

What makes the file unusable is a QdpxRefused naming the problem, and nothing is imported: not a
zip, a zip bomb, an XML entity attack, a project document that is not REFI-QDA, a coding of a code
the project does not have, a GUID used twice, a selection outside its text, a source's text file
missing from the archive.

Pure: no Django. Messages name things by their names in the file and by position, never quote
transcript text.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from lxml import etree

from exchange.qdpx import data
from exchange.qdpx.guids import NAMESPACE, normalise
from exchange.qdpx.offsets import Quoted, clean_text, decide
from exchange.qdpx.safety import Archive, QdpxRefused, open_archive, parse_xml, shown
from transcripts.importers.files import MAX_TEXT_CHARS

PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
_PROJECT_NAMESPACE = re.compile(r"^urn:QDA-XML:project:", re.IGNORECASE)
_CODEBOOK_NAMESPACE = re.compile(r"^urn:QDA-XML:codebook:", re.IGNORECASE)
_VARIABLE_TYPES = {"Text", "Boolean", "Integer", "Float", "Date", "DateTime"}
_MEDIA = {
    "PictureSource": ("picture", "PictureSelection"),
    "AudioSource": ("audio recording", "AudioSelection"),
    "VideoSource": ("video", "VideoSelection"),
}


@dataclass
class SourceReport:
    """What was read from one text source, and how its offsets were counted."""

    guid: str
    name: str
    kind: str  # "text source", or "PDF (its text)"
    reading: str  # the key of exchange.qdpx.offsets.READINGS
    reading_label: str
    evidence: str
    selections: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class ReadProject:
    project: data.Project
    sources: list[SourceReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source_values: dict[str, list[data.VariableValue]] = field(default_factory=dict)
    source_digests: dict[str, str] = field(default_factory=dict)  # source GUID → SHA-256 of text
    loose_notes: list[str] = field(default_factory=list)  # notes nothing refers to
    case_descriptions: dict[str, str] = field(default_factory=dict)
    namespace: str = PROJECT_NAMESPACE
    project_file: str = "project.qde"


# XML helpers -------------------------------------------------------------------------------------


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element, *names: str) -> Iterator[etree._Element]:
    for child in element:
        if isinstance(child.tag, str) and _local(child) in names:
            yield child


def _child(element, name: str):
    return next(_children(element, name), None)


def _text(element, name: str) -> str:
    found = _child(element, name)
    return (found.text or "") if found is not None else ""


def _ref(value: str | None) -> str | None:
    """A reference as a comparable key, or None when absent or not a GUID."""
    if not value or not value.strip():
        return None
    try:
        return normalise(value)
    except ValueError:
        return None


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _derived(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(("import", *parts))))


class _Reader:
    def __init__(self, archive: Archive, root: etree._Element, project_file: str) -> None:
        self.archive = archive
        self.root = root
        self.result = ReadProject(project=data.Project(name=""), project_file=project_file)
        self.guids: dict[str, dict[str, str]] = defaultdict(dict)  # kind → guid → name
        self.note_refs: dict[str, int] = defaultdict(int)
        self.alias: dict[str, str] = {}  # deduplicated selection GUID → the kept one
        self.skipped_sources: set[str] = set()
        self.dangling: dict[str, int] = defaultdict(int)
        self.selection_owner: dict[str, tuple[data.Source, data.Selection]] = {}

    # Identity and references ---------------------------------------------------------------------

    def own_guid(self, element, kind: str, name: str) -> str:
        value = element.get("guid")
        if value is None or not value.strip():
            raise QdpxRefused(f"the {kind} “{shown(name)}” has no GUID")
        try:
            key = normalise(value)
        except ValueError:
            raise QdpxRefused(
                f"the {kind} “{shown(name)}” has an invalid GUID ({shown(value, 45)})"
            ) from None
        if key in self.guids[kind]:
            raise QdpxRefused(
                f"the GUID {key} is used by two {kind}s (“{shown(self.guids[kind][key])}” and "
                f"“{shown(name)}”), so references to it are ambiguous"
            )
        self.guids[kind][key] = name
        return key

    def notes_of(self, element) -> list[str]:
        refs = []
        for ref in _children(element, "NoteRef"):
            key = _ref(ref.get("targetGUID"))
            if key is not None:
                refs.append(key)
                self.note_refs[key] += 1
        return refs

    # The document --------------------------------------------------------------------------------

    def read(self) -> ReadProject:
        root, result = self.root, self.result
        qname = etree.QName(root)
        namespace = qname.namespace or ""
        if qname.localname == "CodeBook" and _CODEBOOK_NAMESPACE.match(namespace):
            raise QdpxRefused(
                f"{shown(result.project_file)} is a codebook (.qdc), not a project: import a .qdpx"
            )
        if qname.localname != "Project" or (namespace and not _PROJECT_NAMESPACE.match(namespace)):
            raise QdpxRefused(
                f"{shown(result.project_file)} is not a REFI-QDA project (its root element is "
                f"“{shown(qname.localname, 30)}”"
                + (f" in the namespace {shown(namespace, 50)})" if namespace else ")")
            )
        result.namespace = namespace
        if namespace != PROJECT_NAMESPACE:
            result.warnings.append(
                f"the project is written in the namespace “{shown(namespace, 50) or 'none'}”; "
                f"read as {PROJECT_NAMESPACE}"
            )
        project = result.project
        project.name = (root.get("name") or "").strip() or "Imported project"
        project.origin = root.get("origin") or ""
        project.user = _ref(root.get("creatingUserGUID"))
        project.created = _datetime(root.get("creationDateTime"))
        project.description = _text(root, "Description")

        for users in _children(root, "Users"):
            for element in _children(users, "User"):
                name = (element.get("name") or element.get("id") or "").strip()
                key = self.own_guid(element, "user", name or "(unnamed)")
                project.users.append(data.User(guid=key, name=name or f"user-{key[:8]}"))
        for book in _children(root, "CodeBook"):
            for codes in _children(book, "Codes"):
                project.codes.extend(self.codes(codes))
        for variables in _children(root, "Variables"):
            for element in _children(variables, "Variable"):
                project.variables.append(self.variable(element))
        for sources in _children(root, "Sources"):
            for element in sources:
                if isinstance(element.tag, str):
                    self.source(element)
        for notes in _children(root, "Notes"):
            for element in _children(notes, "Note"):
                note = self.note(element)
                if note is not None:
                    project.notes.append(note)
        for cases in _children(root, "Cases"):
            for element in _children(cases, "Case"):
                project.cases.append(self.case(element))
        for links in _children(root, "Links"):
            for element in _children(links, "Link"):
                self.link(element)
        project_notes = self.notes_of(root)
        sets = sum(1 for group in _children(root, "Sets") for _ in _children(group, "Set"))
        if sets:
            result.skipped.append(
                f"{sets} set{'s' if sets != 1 else ''} (groups of codes, sources or notes): "
                "sets are not imported"
            )
        graphs = sum(1 for group in _children(root, "Graphs") for _ in _children(group, "Graph"))
        if graphs:
            result.skipped.append(
                f"{graphs} graph{'s' if graphs != 1 else ''} (drawn networks): not imported"
            )
        self.check_references(project_notes)
        return result

    # Codes -------------------------------------------------------------------------------------

    def codes(self, container) -> list[data.Code]:
        top: list[data.Code] = []
        stack: list[tuple[etree._Element, list[data.Code]]] = [
            (element, top) for element in reversed(list(_children(container, "Code")))
        ]
        pending: list[tuple[data.Code, list[data.Code]]] = []
        while stack:
            element, siblings = stack.pop()
            name = " ".join((element.get("name") or "").split())
            code = data.Code(
                guid=self.own_guid(element, "code", name or "(unnamed)"),
                name=name,
                color=(element.get("color") or "").strip() or None,
                description=_text(element, "Description"),
                is_codable=self.codable(element.get("isCodable"), name),
                notes=self.notes_of(element),
            )
            pending.append((code, siblings))
            stack.extend(
                (child, code.children) for child in reversed(list(_children(element, "Code")))
            )
        for code, siblings in pending:
            siblings.append(code)
        return top

    def codable(self, value: str | None, name: str) -> bool:
        folded = (value or "").strip().lower()
        if folded in ("true", "1"):
            return True
        if folded in ("false", "0"):
            return False
        self.result.warnings.append(
            f"the code “{shown(name)}” has no valid isCodable ({shown(value or '', 20)!r}); "
            "read as codable"
        )
        return True

    # Variables and cases -------------------------------------------------------------------------

    def variable(self, element) -> data.Variable:
        name = " ".join((element.get("name") or "").split()) or "Unnamed variable"
        kind = (element.get("typeOfVariable") or "Text").strip()
        if kind not in _VARIABLE_TYPES:
            self.result.warnings.append(
                f"the variable “{shown(name)}” has the unknown type “{shown(kind, 20)}”; read as Text"
            )
            kind = "Text"
        return data.Variable(
            guid=self.own_guid(element, "variable", name),
            name=name,
            type=kind,
            description=_text(element, "Description"),
        )

    def values(self, element) -> list[data.VariableValue]:
        values = []
        for item in _children(element, "VariableValue"):
            ref = _child(item, "VariableRef")
            key = _ref(ref.get("targetGUID")) if ref is not None else None
            value = self.value(item)
            if key is None or value is None:
                self.dangling["a variable value without its variable or value"] += 1
                continue
            values.append(data.VariableValue(variable=key, value=value))
        return values

    @staticmethod
    def value(item):
        for child in item:
            if not isinstance(child.tag, str):
                continue
            kind, raw = _local(child), (child.text or "").strip()
            try:
                if kind == "TextValue":
                    return child.text or ""
                if kind == "BooleanValue":
                    return raw.lower() in ("true", "1")
                if kind == "IntegerValue":
                    return int(raw)
                if kind == "FloatValue":
                    return float(raw)
                if kind == "DateValue":
                    return date.fromisoformat(raw[:10])
                if kind == "DateTimeValue":
                    return _datetime(raw) or raw
            except ValueError:
                return raw
        return None

    def case(self, element) -> data.Case:
        name = (element.get("name") or "").strip()
        key = self.own_guid(element, "case", name or "(unnamed)")
        description = _text(element, "Description")
        if description.strip():
            self.result.case_descriptions[key] = description
        return data.Case(
            guid=key,
            name=name,
            values=self.values(element),
            sources=[
                r for r in (_ref(e.get("targetGUID")) for e in _children(element, "SourceRef")) if r
            ],
            selections=[
                r
                for r in (_ref(e.get("targetGUID")) for e in _children(element, "SelectionRef"))
                if r
            ],
        )

    # Sources -----------------------------------------------------------------------------------

    def source(self, element) -> None:
        kind = _local(element)
        name = (element.get("name") or "").strip() or "(unnamed source)"
        if kind == "TextSource":
            self.text_source(element, name=name, kind="text source")
        elif kind == "PDFSource":
            key = self.own_guid(element, "source", name)
            areas = sum(1 for _ in _children(element, "PDFSelection"))
            whole = sum(1 for _ in _children(element, "Coding"))
            representation = _child(element, "Representation")
            if representation is not None:
                self.text_source(
                    representation, name=name, kind="PDF (its text)", guid=key, owner=element
                )
            else:
                self.skipped_sources.add(key)
                self.result.skipped.append(
                    f"the PDF “{shown(name)}”: it has no text representation to import"
                )
            if areas or whole:
                self.result.skipped.append(
                    f"{areas + whole} coded area{'s' if areas + whole != 1 else ''} of the PDF "
                    f"“{shown(name)}” (page regions and whole-document codings): only text "
                    "selections are imported"
                )
        elif kind in _MEDIA:
            what, selection_tag = _MEDIA[kind]
            key = self.own_guid(element, "source", name)
            self.skipped_sources.add(key)
            selections = sum(1 for _ in _children(element, selection_tag))
            transcripts = sum(1 for _ in _children(element, "Transcript"))
            extra = []
            if selections:
                extra.append(f"{selections} selection{'s' if selections != 1 else ''}")
            if transcripts:
                extra.append(f"{transcripts} attached transcript{'s' if transcripts != 1 else ''}")
            self.result.skipped.append(
                f"the {what} “{shown(name)}”"
                + (f" with {' and '.join(extra)}" if extra else "")
                + ": only text sources are imported"
            )
        else:
            self.result.skipped.append(
                f"an unknown kind of source (“{shown(kind, 30)}”) named “{shown(name)}”"
            )

    def read_text(self, element, name: str) -> tuple[str, bool, list[str]] | None:
        """(text, had a byte-order mark, warnings), or None when the source has no text here."""
        path = element.get("plainTextPath")
        inline = _child(element, "PlainTextContent")
        warnings = []
        if path and path.strip():
            member, warning = self.archive.source_name(path)
            if member is None:
                if path.strip().lower().startswith("internal://") or "://" not in path:
                    raise QdpxRefused(
                        f"the text of the source “{shown(name)}” ({shown(path)}) is not in the archive"
                    )
                return None
            if warning:
                warnings.append(warning)
            if inline is not None and (inline.text or ""):
                warnings.append("it has both a text file and inline text; the file was read")
            text, bom, decoding = _decode(self.archive.read(member), name)
            warnings += decoding
            return text, bom, warnings
        if inline is not None:
            return inline.text or "", False, warnings
        return None

    def text_source(
        self, element, *, name: str, kind: str, guid: str | None = None, owner=None
    ) -> None:
        owner = owner if owner is not None else element
        key = guid or self.own_guid(element, "source", name)
        read = self.read_text(element, name)
        if read is None:
            self.skipped_sources.add(key)
            reason = (
                "only a rich-text file"
                if element.get("richTextPath")
                else "its text is outside the archive"
                if element.get("plainTextPath")
                else "no text"
            )
            self.result.skipped.append(f"the {kind} “{shown(name)}”: {reason}, nothing to import")
            return
        raw, bom, warnings = read
        if len(raw) > MAX_TEXT_CHARS:
            raise QdpxRefused(
                f"the source “{shown(name)}” is {len(raw):,} characters long; the limit is "
                f"{MAX_TEXT_CHARS:,}"
            )
        raw, had_bom, controls = clean_text(raw)
        bom = bom or had_bom
        if controls:
            warnings.append(
                f"{controls} control character{'s' if controls != 1 else ''} made spaces"
            )
        elements = list(_children(element, "PlainTextSelection"))
        whole = list(_children(element, "Coding"))
        quoted = [
            Quoted(
                start=self.position(item, "startPosition", name),
                end=self.position(item, "endPosition", name),
                quote=item.get("name") or "",
                label=self.selection_label(item),
            )
            for item in elements
        ]
        decision = decide(raw, quoted, bom=bom)
        if decision.errors:
            more = f" (and {len(decision.errors) - 1} more)" if len(decision.errors) > 1 else ""
            raise QdpxRefused(f"in the source “{shown(name)}”, {decision.errors[0]}{more}")
        source = data.Source(
            guid=key,
            name=name,
            text=decision.text,
            text_guid=key,
            description=_text(owner, "Description"),
            user=_ref(owner.get("creatingUser")),
            created=_datetime(owner.get("creationDateTime")),
            notes=self.notes_of(owner),
        )
        spans: dict[tuple[int, int], data.Selection] = {}
        for item, span in zip(elements, decision.spans, strict=True):
            selection_key = self.own_guid(item, "selection", self.selection_label(item))
            if span is None:
                self.skipped_sources.add(selection_key)  # a SelectionRef to it is no dangling one
                continue
            selection = spans.get(span)
            if selection is None:
                selection = spans[span] = data.Selection(
                    guid=selection_key,
                    start=span[0],
                    end=span[1],
                    name=item.get("name") or "",
                    user=_ref(item.get("creatingUser")),
                    created=_datetime(item.get("creationDateTime")),
                )
                self.selection_owner[selection_key] = (source, selection)
            else:
                self.alias[selection_key] = selection.guid
            selection.codings.extend(self.codings(item))
            selection.notes.extend(self.notes_of(item))
            description = _text(item, "Description")
            if description.strip():
                selection.notes.append(
                    self.description_note(
                        selection_key, description, item.get("creatingUser"), item
                    )
                )
        if whole:
            text_end = len(decision.text.rstrip())
            if text_end:
                span = (0, text_end)
                selection = spans.get(span)
                if selection is None:
                    selection = spans[span] = data.Selection(
                        guid=_derived("whole", key), start=0, end=text_end
                    )
                    self.selection_owner[selection.guid] = (source, selection)
                for coding_element in whole:
                    selection.codings.extend(self.codings_of([coding_element]))
                warnings.append(
                    f"{len(whole)} coding{'s' if len(whole) != 1 else ''} of the whole source "
                    "imported as codings of its whole text"
                )
        source.selections = sorted(spans.values(), key=lambda s: (s.start, s.end))
        self.result.project.sources.append(source)
        self.result.source_digests[key] = hashlib.sha256(decision.text.encode("utf-8")).hexdigest()
        values = self.values(owner)
        if values:
            self.result.source_values[key] = values
        self.result.sources.append(
            SourceReport(
                guid=key,
                name=name,
                kind=kind,
                reading=decision.reading.key,
                reading_label=decision.reading.label,
                evidence=decision.evidence,
                selections=len(source.selections),
                warnings=warnings + decision.warnings,
            )
        )

    @staticmethod
    def selection_label(item) -> str:
        guid = (item.get("guid") or "").strip().strip("{}")
        return guid[:8] if guid else "(no GUID)"

    @staticmethod
    def position(item, attribute: str, source: str) -> int:
        value = item.get(attribute)
        try:
            return int((value or "").strip())
        except ValueError:
            raise QdpxRefused(
                f"a selection in the source “{shown(source)}” has no valid {attribute} "
                f"({shown(value or '', 20)!r})"
            ) from None

    def codings(self, selection_element) -> list[data.Coding]:
        return self.codings_of(_children(selection_element, "Coding"))

    def codings_of(self, elements) -> list[data.Coding]:
        codings = []
        for element in elements:
            ref = _child(element, "CodeRef")
            code = _ref(ref.get("targetGUID")) if ref is not None else None
            codings.append(
                data.Coding(
                    guid=self.own_guid(element, "coding", "on a selection"),
                    code=code or (ref.get("targetGUID") if ref is not None else "") or "",
                    user=_ref(element.get("creatingUser")),
                    created=_datetime(element.get("creationDateTime")),
                    notes=self.notes_of(element),
                )
            )
        return codings

    def description_note(self, owner_guid: str, text: str, user: str | None, element) -> str:
        note = data.Note(
            guid=_derived("description", owner_guid),
            text=text,
            name="Description",
            user=_ref(user),
            created=_datetime(element.get("creationDateTime")),
        )
        self.result.project.notes.append(note)
        self.note_refs[note.guid] += 1
        return note.guid

    # Notes and links ---------------------------------------------------------------------------

    def note(self, element) -> data.Note | None:
        name = (element.get("name") or "").strip()
        key = self.own_guid(element, "note", name or "(unnamed)")
        read = self.read_text(element, name or "a note")
        text = read[0] if read is not None else ""
        text = clean_text(text)[0].replace("\r\n", "\n").replace("\r", "\n")
        description = _text(element, "Description")
        if not text.strip() and description.strip():
            text = description
        if not text.strip():
            self.result.skipped.append(f"the note “{shown(name or key[:8])}”: it is empty")
            return None
        return data.Note(
            guid=key,
            text=text,
            name=name,
            user=_ref(element.get("creatingUser")),
            created=_datetime(element.get("creationDateTime")),
            modified=_datetime(element.get("modifiedDateTime")),
        )

    def link(self, element) -> None:
        """A link between a note and a selection, code or source is a memo on it (ATLAS.ti's
        memo-quotation links); other links (between codes, between selections) are not imported."""
        origin, target = _ref(element.get("originGUID")), _ref(element.get("targetGUID"))
        notes = self.guids["note"]
        for note, other in ((origin, target), (target, origin)):
            if note in notes and other is not None and self.attach(note, other):
                return
        self.dangling["a link between things other than a note and what it is about"] += 1

    def attach(self, note: str, target: str) -> bool:
        target = self.alias.get(target, target)
        if target in self.selection_owner:
            self.selection_owner[target][1].notes.append(note)
        elif target in self.guids["code"]:
            next(c for c, _p in self.result.project.walk_codes() if c.guid == target).notes.append(
                note
            )
        elif target in self.guids["source"] and target not in self.skipped_sources:
            next(s for s in self.result.project.sources if s.guid == target).notes.append(note)
        elif target in self.guids["coding"]:
            for _source, _selection, coding in self.result.project.codings():
                if coding.guid == target:
                    coding.notes.append(note)
                    break
        else:
            return False
        self.note_refs[note] += 1
        return True

    # References --------------------------------------------------------------------------------

    def check_references(self, project_notes: list[str]) -> None:
        project, result = self.result.project, self.result
        codes = set(self.guids["code"])
        for source, _selection, coding in project.codings():
            if coding.code not in codes:
                raise QdpxRefused(
                    f"a coding in the source “{shown(source.name)}” refers to a code that is not "
                    f"in the project ({shown(coding.code, 45) or 'no code at all'})"
                )
        # Users referred to but not listed still get a layer of their own.
        listed = {user.guid for user in project.users}
        referred = {project.user} | {note.user for note in project.notes}
        for source in project.sources:
            referred.add(source.user)
            for selection in source.selections:
                referred.add(selection.user)
                referred.update(coding.user for coding in selection.codings)
        missing = sorted(guid for guid in referred - listed if guid is not None)
        for guid in missing:
            project.users.append(data.User(guid=guid, name=f"user-{guid[:8]}"))
        if missing:
            result.warnings.append(
                f"{len(missing)} user{'s are' if len(missing) != 1 else ' is'} referred to but not "
                "listed in the project; each is imported as a coder named user-<first 8 digits "
                "of its GUID>"
            )
        notes = {note.guid for note in project.notes}

        def kept(refs: list[str]) -> list[str]:
            present = [ref for ref in refs if ref in notes]
            self.dangling["a reference to a note that is not in the project"] += len(refs) - len(
                present
            )
            return present

        for code, _parent in project.walk_codes():
            code.notes = kept(code.notes)
        for source in project.sources:
            source.notes = kept(source.notes)
            for selection in source.selections:
                selection.notes = kept(list(dict.fromkeys(selection.notes)))
                for coding in selection.codings:
                    coding.notes = kept(coding.notes)
        sources = {source.guid for source in project.sources}
        selections = set(self.selection_owner)
        variables = {variable.guid for variable in project.variables}
        for case in project.cases:
            present = [s for s in case.sources if s in sources]
            self.dangling["a case's reference to a source that is not in the project"] += sum(
                1 for s in case.sources if s not in sources and s not in self.skipped_sources
            )
            case.sources = list(dict.fromkeys(present))
            chosen = [self.alias.get(s, s) for s in case.selections]
            self.dangling["a case's reference to a selection that is not in the project"] += sum(
                1 for s in chosen if s not in selections and s not in self.skipped_sources
            )
            case.selections = list(dict.fromkeys(s for s in chosen if s in selections))
            kept_values = [value for value in case.values if value.variable in variables]
            self.dangling["a value of a variable that is not in the project"] += len(
                case.values
            ) - len(kept_values)
            case.values = kept_values
        for key, values in list(result.source_values.items()):
            result.source_values[key] = [v for v in values if v.variable in variables]
        referenced = {note for note, count in self.note_refs.items() if count}
        result.loose_notes = [
            note.guid
            for note in project.notes
            if note.guid not in referenced or note.guid in project_notes
        ]
        for what, count in self.dangling.items():
            if count:
                result.skipped.append(
                    f"{count} × {what}: left out" if count != 1 else f"{what}: left out"
                )


def _decode(content: bytes, name: str) -> tuple[str, bool, list[str]]:
    """A text file's text, whether it began with a byte-order mark, and warnings. UTF-8 as the
    standard says (UTF-16 with its mark, or Windows-1252 with a warning, as some tools write)."""
    if content.startswith(b"\xef\xbb\xbf"):
        encodings, bom = ("utf-8",), True
        content = content[3:]
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings, bom = ("utf-16",), True
    else:
        encodings, bom = ("utf-8", "cp1252"), False
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        text = text.removeprefix("\ufeff")
        warnings = [] if encoding in ("utf-8", "utf-16") else ["read as Windows-1252, not UTF-8"]
        return text, bom, warnings
    raise QdpxRefused(f"the text of the source “{shown(name)}” is not UTF-8")


def read_qdpx(content: bytes) -> ReadProject:
    """The project in a .qdpx's bytes, or QdpxRefused naming what makes it unusable."""
    with open_archive(content) as archive:
        project_file = archive.project_name()
        root = parse_xml(archive.read(project_file), shown(project_file))
        return _Reader(archive, root, project_file).read()
