"""Plain data (`exchange.qdpx.data`) → `project.qde`, a `.qdpx` zip, or a `.qdc` codebook.

Elements are written in the schema's child order (every complex type is an `xsd:sequence`), in
the project namespace, with no empty containers (`<Sets/>` is invalid). Writing checks first:
`write_qdpx` and `write_qdc` raise `InvalidExport` rather than return a file that is not valid,
so nothing invalid ever reaches a disk or a browser.

Pure: lxml and the data classes, no Django."""

import bisect
import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from lxml import etree

from exchange.qdpx import data
from exchange.qdpx.validate import (
    CODEBOOK_NAMESPACE,
    PROJECT_NAMESPACE,
    InvalidExport,
    codebook_problems,
    codebook_schema,
    project_problems,
    project_schema,
    schema_problems,
)

PROJECT_FILE = "project.qde"
# Characters XML 1.0 cannot carry at all, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """The string with anything XML cannot hold replaced by U+FFFD."""
    return NOT_XML.sub("\ufffd", value)


def xml_datetime(value: datetime) -> str:
    """xsd:dateTime in UTC, with the T separator and whole seconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lf_text(text: str) -> tuple[str, Callable[[int], int]]:
    """The text with CRLF and lone CR made LF and a leading byte-order mark dropped, and the
    function that moves an offset of the old text to the same place in the new one."""
    bom = 1 if text.startswith("\ufeff") else 0
    if not bom and "\r" not in text:
        return text, lambda offset: offset
    body = text[bom:]
    # Offsets (in the old text) of each CR that a CRLF loses, in order.
    dropped = [m.start() + bom for m in re.finditer("\r\n", body)]
    new = body.replace("\r\n", "\n").replace("\r", "\n")

    def remap(offset: int) -> int:
        return max(0, offset - bom - bisect.bisect_left(dropped, offset))

    return new, remap


class _Builder:
    def __init__(self, namespace: str):
        self.namespace = namespace

    def root(self, tag: str, **attributes) -> etree._Element:
        element = etree.Element(self._tag(tag), nsmap={None: self.namespace})
        self._set(element, attributes)
        return element

    def add(self, parent: etree._Element, tag: str, text: str | None = None, **attributes):
        element = etree.SubElement(parent, self._tag(tag))
        self._set(element, attributes)
        if text is not None:
            element.text = xml_text(text)
        return element

    def _tag(self, tag: str) -> str:
        return f"{{{self.namespace}}}{tag}"

    @staticmethod
    def _set(element: etree._Element, attributes: dict) -> None:
        for name, value in attributes.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, datetime):
                value = xml_datetime(value)
            element.set(name, xml_text(str(value)))


# project.qde ---------------------------------------------------------------------------------


def project_xml(project: data.Project) -> bytes:
    """project.qde for the project, as UTF-8 bytes (not checked: see `write_qdpx`)."""
    b = _Builder(PROJECT_NAMESPACE)
    root = b.root(
        "Project",
        name=project.name,
        origin=project.origin or None,
        creatingUserGUID=project.user,
        creationDateTime=project.created,
    )
    if project.users:
        users = b.add(root, "Users")
        for user in project.users:
            b.add(users, "User", guid=user.guid, name=user.name)
    if project.codes:
        codes = b.add(b.add(root, "CodeBook"), "Codes")
        for code in project.codes:
            _code(b, codes, code, with_notes=True)
    if project.variables:
        variables = b.add(root, "Variables")
        for variable in project.variables:
            element = b.add(
                variables,
                "Variable",
                guid=variable.guid,
                name=variable.name,
                typeOfVariable=variable.type,
            )
            if variable.description:
                b.add(element, "Description", variable.description)
    types = {variable.guid: variable.type for variable in project.variables}
    if project.cases:
        cases = b.add(root, "Cases")
        for case in project.cases:
            element = b.add(cases, "Case", guid=case.guid, name=case.name)
            if case.description:
                b.add(element, "Description", case.description)
            for value in case.values:
                _variable_value(b, element, value, types.get(value.variable, "Text"))
            for source in case.sources:
                b.add(element, "SourceRef", targetGUID=source)
            for selection in case.selections:
                b.add(element, "SelectionRef", targetGUID=selection)
    if project.sources:
        sources = b.add(root, "Sources")
        for source in project.sources:
            _source(b, sources, source)
    if project.notes:
        notes = b.add(root, "Notes")
        for note in project.notes:
            element = b.add(
                notes,
                "Note",
                guid=note.guid,
                name=note.name or None,
                creatingUser=note.user,
                creationDateTime=note.created,
                modifiedDateTime=note.modified,
            )
            b.add(element, "PlainTextContent", note.text)
    if project.sets:
        sets = b.add(root, "Sets")
        for item in project.sets:
            element = b.add(sets, "Set", guid=item.guid, name=item.name)
            if item.description:
                b.add(element, "Description", item.description)
            for code in item.codes:
                b.add(element, "MemberCode", targetGUID=code)
            for source in item.sources:
                b.add(element, "MemberSource", targetGUID=source)
            for note in item.notes:
                b.add(element, "MemberNote", targetGUID=note)
    if project.description:
        b.add(root, "Description", project.description)
    return _serialise(root)


def _code(b: _Builder, parent, code: data.Code, *, with_notes: bool) -> None:
    # An explicit stack: a deep code tree must not meet Python's recursion limit.
    stack = [(parent, code)]
    while stack:
        parent, code = stack.pop()
        element = b.add(
            parent,
            "Code",
            guid=code.guid,
            name=code.name,
            isCodable=code.is_codable,
            color=code.color,
        )
        if code.description:
            b.add(element, "Description", code.description)
        if with_notes:
            for note in code.notes:
                b.add(element, "NoteRef", targetGUID=note)
        stack.extend((element, child) for child in reversed(code.children))


def _variable_value(b: _Builder, parent, value: data.VariableValue, kind: str) -> None:
    element = b.add(parent, "VariableValue")
    b.add(element, "VariableRef", targetGUID=value.variable)
    v = value.value
    if kind == "Boolean":
        b.add(element, "BooleanValue", "true" if v else "false")
    elif kind == "Integer":
        b.add(element, "IntegerValue", str(v))
    elif kind == "Float":
        # xsd:decimal has no exponent: 1e-05 is written 0.00001.
        b.add(element, "FloatValue", format(Decimal(repr(float(v))), "f"))
    elif kind == "Date":
        b.add(element, "DateValue", v.isoformat() if isinstance(v, date) else str(v))
    elif kind == "DateTime":
        b.add(element, "DateTimeValue", xml_datetime(v) if isinstance(v, datetime) else str(v))
    else:
        b.add(element, "TextValue", str(v))


def _source(b: _Builder, parent, source: data.Source) -> None:
    element = b.add(
        parent,
        "TextSource",
        guid=source.guid,
        name=source.name,
        plainTextPath=source.plain_text_path,
        creatingUser=source.user,
        creationDateTime=source.created,
    )
    if source.description:
        b.add(element, "Description", source.description)
    for selection in source.selections:
        chosen = b.add(
            element,
            "PlainTextSelection",
            guid=selection.guid,
            name=selection.name or None,
            startPosition=selection.start,
            endPosition=selection.end,
            creatingUser=selection.user,
            creationDateTime=selection.created,
        )
        for coding in selection.codings:
            applied = b.add(
                chosen,
                "Coding",
                guid=coding.guid,
                creatingUser=coding.user,
                creationDateTime=coding.created,
            )
            b.add(applied, "CodeRef", targetGUID=coding.code)
            for note in coding.notes:
                b.add(applied, "NoteRef", targetGUID=note)
        for note in selection.notes:
            b.add(chosen, "NoteRef", targetGUID=note)
    for note in source.notes:
        b.add(element, "NoteRef", targetGUID=note)


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(
        root, xml_declaration=True, encoding="utf-8", standalone=True, pretty_print=True
    )


def write_qdpx(project: data.Project) -> bytes:
    """The .qdpx zip: `project.qde` and `sources/<GUID>.txt` (UTF-8, no BOM, LF) for each
    source. Raises InvalidExport, and returns nothing, when the project is not valid."""
    problems = project_problems(project)
    xml = project_xml(project)
    problems += schema_problems(xml, project_schema())
    if problems:
        raise InvalidExport("REFI-QDA project", problems)
    buffer = io.BytesIO()
    stamp = (project.created or datetime(1980, 1, 1, tzinfo=UTC)).astimezone(UTC)
    stamp_tuple = max(stamp.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in [
            (PROJECT_FILE, xml),
            *((source.file_name, source.text.encode("utf-8")) for source in project.sources),
        ]:
            info = zipfile.ZipInfo(name, date_time=stamp_tuple)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


# .qdc ----------------------------------------------------------------------------------------


def codebook_xml(codebook: data.Codebook) -> bytes:
    b = _Builder(CODEBOOK_NAMESPACE)
    root = b.root("CodeBook", origin=codebook.origin or None)
    codes = b.add(root, "Codes")
    for code in codebook.codes:
        _code(b, codes, code, with_notes=False)
    return _serialise(root)


def write_qdc(codebook: data.Codebook) -> bytes:
    """The .qdc file. Raises InvalidExport when the codebook is not valid."""
    problems = codebook_problems(codebook)
    xml = codebook_xml(codebook)
    if not problems:
        problems = schema_problems(xml, codebook_schema())
    if problems:
        raise InvalidExport("codebook", problems)
    return xml
