"""Is a project fit to leave? The official schemas (loaded once per process), and the checks
NOTES.md says the schemas do not make: references that lead nowhere, GUIDs used twice, selections
outside their text, colours lxml lets through, and text files that are not plain UTF-8 with LF.

Pure: lxml and the data classes, no Django."""

import functools
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from lxml import etree

from exchange.qdpx import data
from exchange.qdpx.guids import normalise

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"
# The schema's RGBType, anchored (lxml's pattern check also accepts #RRGGBBAA).
COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
SHOWN = 5  # problems named in an error message; the rest are counted


class InvalidExport(ValueError):
    """The project (or codebook) would not be valid REFI-QDA: nothing is written."""

    def __init__(self, what: str, problems: list[str]):
        self.problems = problems
        shown = "; ".join(problems[:SHOWN])
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        super().__init__(f"The {what} is not valid REFI-QDA, so nothing was written: {shown}{more}")


def _parser() -> etree.XMLParser:
    # Never fetch or expand anything: the same parser reads files made elsewhere.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=False
    )


@functools.cache
def project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Project.xsd"), _parser()))


@functools.cache
def codebook_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd"), _parser()))


def schema_problems(document: bytes, schema: etree.XMLSchema) -> list[str]:
    """What the schema finds wrong with the document as it would be written."""
    try:
        tree = etree.fromstring(document, _parser())
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    if schema.validate(tree):
        return []
    return [f"line {entry.line}: {entry.message}" for entry in schema.error_log]


# The checks the schema does not make --------------------------------------------------------


def _duplicates(guids: Iterable[tuple[str, str]]) -> list[str]:
    """(what, guid) pairs → a problem for each GUID used more than once, or no GUID at all."""
    problems, seen = [], Counter()
    named: dict[str, str] = {}
    for what, value in guids:
        try:
            key = normalise(value)
        except ValueError:
            problems.append(f"{what} has no valid GUID ({value!r})")
            continue
        seen[key] += 1
        named.setdefault(key, what)
    problems += [
        f"the GUID {key} is used {count} times (first by {named[key]})"
        for key, count in seen.items()
        if count > 1
    ]
    return problems


def _key(value: str | None) -> str | None:
    try:
        return normalise(value) if value is not None else None
    except ValueError:
        return None


def _colour_problems(codes: Iterable[tuple[data.Code, data.Code | None]]) -> list[str]:
    return [
        f"the code “{code.name}” has the colour {code.color!r}, not #RRGGBB or #RGB"
        for code, _parent in codes
        if code.color is not None and not COLOUR.fullmatch(code.color)
    ]


VALUE_TYPES: dict[str, tuple[type, ...]] = {
    "Text": (str,),
    "Boolean": (bool,),
    "Integer": (int,),
    "Float": (int, float),
    "Date": (date,),
    "DateTime": (datetime,),
}


def _value_fits(variable_type: str, value) -> bool:
    if variable_type in {"Integer", "Float"} and isinstance(value, bool):
        return False
    if variable_type == "Date" and isinstance(value, datetime):
        return False
    return isinstance(value, VALUE_TYPES.get(variable_type, ()))


def project_problems(project: data.Project) -> list[str]:
    """Everything wrong with the project that the schema would not notice."""
    codes = list(project.walk_codes())
    selections = list(project.selections())
    codings = list(project.codings())
    problems = _duplicates(
        [
            *((f"the user “{user.name}”", user.guid) for user in project.users),
            *((f"the code “{code.name}”", code.guid) for code, _parent in codes),
            *((f"the variable “{v.name}”", v.guid) for v in project.variables),
            *((f"the case “{case.name}”", case.guid) for case in project.cases),
            *((f"the source “{source.name}”", source.guid) for source in project.sources),
            *(
                (f"a selection of “{source.name}”", selection.guid)
                for source, selection in selections
            ),
            *((f"a coding on “{source.name}”", coding.guid) for source, _s, coding in codings),
            *((f"the note “{note.name}”", note.guid) for note in project.notes),
            *((f"the set “{item.name}”", item.guid) for item in project.sets),
        ]
    )
    text_files = Counter(_key(source.text_guid) or source.text_guid for source in project.sources)
    problems += [
        f"{count} sources share the text file {name}.txt"
        for name, count in text_files.items()
        if count > 1
    ]
    problems += _colour_problems(codes)

    users = {_key(user.guid) for user in project.users}
    code_guids = {_key(code.guid) for code, _parent in codes}
    notes = {_key(note.guid) for note in project.notes}
    sources = {_key(source.guid) for source in project.sources}
    selection_guids = {_key(selection.guid) for _source, selection in selections}
    variables = {_key(v.guid): v for v in project.variables}

    def missing(kind: str, found: set, guid: str | None, where: str) -> None:
        if guid is not None and _key(guid) not in found:
            problems.append(f"{where} refers to a {kind} that is not in the project ({guid})")

    missing("user", users, project.user, "the project")
    for code, _parent in codes:
        for note in code.notes:
            missing("note", notes, note, f"the code “{code.name}”")
    for source in project.sources:
        where = f"the source “{source.name}”"
        missing("user", users, source.user, where)
        for note in source.notes:
            missing("note", notes, note, where)
        if source.text.startswith("\ufeff"):
            problems.append(f"{where} starts with a byte-order mark; its text file would have one")
        if "\r" in source.text:
            problems.append(
                f"{where} has a carriage return; its text file must have LF line ends only"
            )
        length = len(source.text)
        for selection in source.selections:
            at = f"the selection [{selection.start}, {selection.end}) of “{source.name}”"
            if not 0 <= selection.start <= selection.end <= length:
                problems.append(
                    f"{at} is outside its text of {length} characters (0 ≤ start ≤ end ≤ length)"
                )
            missing("user", users, selection.user, at)
            for note in selection.notes:
                missing("note", notes, note, at)
            for coding in selection.codings:
                missing("code", code_guids, coding.code, f"a coding on {at}")
                missing("user", users, coding.user, f"a coding on {at}")
                for note in coding.notes:
                    missing("note", notes, note, f"a coding on {at}")
    for note in project.notes:
        missing("user", users, note.user, f"the note “{note.name}”")
    for case in project.cases:
        where = f"the case “{case.name}”"
        for value in case.values:
            variable = variables.get(_key(value.variable))
            if variable is None:
                missing("variable", set(variables), value.variable, where)
            elif not _value_fits(variable.type, value.value):
                problems.append(
                    f"{where} has {value.value!r} for “{variable.name}”, which holds "
                    f"{variable.type} values"
                )
        for source in case.sources:
            missing("source", sources, source, where)
        for selection in case.selections:
            missing("selection", selection_guids, selection, where)
    for item in project.sets:
        where = f"the set “{item.name}”"
        for code in item.codes:
            missing("code", code_guids, code, where)
        for source in item.sources:
            missing("source", sources, source, where)
        for note in item.notes:
            missing("note", notes, note, where)
    return problems


def codebook_problems(codebook: data.Codebook) -> list[str]:
    codes = list(codebook.walk_codes())
    problems = [] if codes else ["a codebook needs at least one code"]
    problems += _duplicates((f"the code “{code.name}”", code.guid) for code, _parent in codes)
    problems += _colour_problems(codes)
    return problems
