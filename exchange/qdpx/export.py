"""A study as a REFI-QDA project (.qdpx) or its codebook alone (.qdc), as one member may see it.

What leaves, and what never does:

- Sources are the locked transcripts' current versions: anonymised text only (the text before
  anonymisation is never in the analysis tables). Transcripts not locked yet are left out, and the
  summary names them.
- Codes, codings and memos are read only through `visible_to(member)`: a coder blind in an open
  round exports their own layer and nothing of a co-coder's; a viewer none of the round's.
- Participants become cases named by pseudonym, with their analysis attributes as variables.
  Nothing is read from the identity vault.
- Users are named by username. Journal entries and familiarisation notes are private reflexive
  writing and are not exported; nor is the consensus layer of a reconciliation.

Every export is checked against the official schema and the checks it does not make before a
byte is written (`InvalidExport` otherwise), and is audited (EXPORT, with its SHA-256).
"""

import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils import timezone

from coding.codebook import member_is_blinded
from coding.models import Code, Coding, Memo
from exchange.qdpx import data
from exchange.qdpx.guids import guid, selection_guid, text_guid, user_guid
from exchange.qdpx.validate import InvalidExport
from exchange.qdpx.writer import lf_text, write_qdc, write_qdpx
from studies.audit import Action, audit
from studies.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    Membership,
    Participant,
    SourceProject,
)
from transcripts.models import Transcript, TranscriptState, TranscriptVersion

__all__ = [
    "Export",
    "InvalidExport",
    "NothingToExport",
    "Summary",
    "export_codebook",
    "export_study",
]

ORIGIN = "alliance-ta"
QDPX_TYPE = "application/zip"
QDC_TYPE = "application/xml; charset=utf-8"
VARIABLE_TYPES: dict[str, data.VariableType] = {
    AttributeKind.TEXT: "Text",
    AttributeKind.INTEGER: "Integer",
    AttributeKind.CHOICE: "Text",
    AttributeKind.DATE: "Date",
}
NOT_EXPORTED = (
    "Journal entries and familiarisation notes are private reflexive writing and are not "
    "exported; nor are reconciliations' consensus layers, themes, or anything from the identity "
    "vault."
)


class NothingToExport(InvalidExport):
    """There is nothing the format could hold (a .qdc needs at least one code)."""

    def __init__(self, message: str):
        self.problems = [message]
        ValueError.__init__(self, message)


@dataclass
class Summary:
    """What an export holds and what it leaves out, for the person who made it."""

    exported_by: str
    sources: int = 0
    selections: int = 0
    codings: int = 0
    codes: int = 0
    users: int = 0
    notes: int = 0
    cases: int = 0
    variables: int = 0
    coders: list[str] = field(default_factory=list)
    not_locked: list[str] = field(default_factory=list)  # titles of transcripts left out
    skipped_values: list[str] = field(default_factory=list)  # attribute values not readable
    blinded: bool = False

    def lines(self) -> list[str]:
        lines = [
            f"{self.sources} transcript{'s' if self.sources != 1 else ''} (anonymised text), "
            f"{self.codes} code{'s' if self.codes != 1 else ''}, {self.codings} coding"
            f"{'s' if self.codings != 1 else ''} on {self.selections} passage"
            f"{'s' if self.selections != 1 else ''}"
            + (f" by {', '.join(self.coders)}" if self.coders else "")
            + f", {self.notes} memo{'s' if self.notes != 1 else ''}, {self.cases} participant"
            f"{'s' if self.cases != 1 else ''} with {self.variables} attribute"
            f"{'s' if self.variables != 1 else ''}."
        ]
        if self.not_locked:
            lines.append(
                f"Left out, not locked yet: {', '.join(self.not_locked)} — only locked, "
                "anonymised transcripts leave."
            )
        if self.blinded:
            lines.append(
                f"An open blind round hides other coders' work from {self.exported_by}: the "
                "export holds only what they may see now."
            )
        if self.skipped_values:
            lines.append(
                f"Attribute values left out as unreadable: {', '.join(self.skipped_values)}."
            )
        lines.append(NOT_EXPORTED)
        return lines

    def counts(self) -> dict:
        """For the audit log: numbers only, never text."""
        return {
            "sources": self.sources,
            "selections": self.selections,
            "codings": self.codings,
            "codes": self.codes,
            "users": self.users,
            "notes": self.notes,
            "cases": self.cases,
            "variables": self.variables,
            "not_locked": len(self.not_locked),
            "blinded": self.blinded,
        }


@dataclass
class Export:
    content: bytes
    filename: str  # server-made: <study>-refi-qda-<stamp>.qdpx or <study>-codebook-<stamp>.qdc
    media_type: str
    summary: Summary | None  # None for a codebook
    sha256: str


# From the database to plain data ----------------------------------------------------------


def _code_tree(rows: list[tuple], notes: dict[int, list[str]]) -> tuple[list[data.Code], dict]:
    """(pk, uuid, label, description, colour, parent_id) rows → the top codes with their
    children nested, and each pk's data.Code. A code whose parent is not exported (hidden, or
    left out) sits at the top; so does one whose parents would loop."""
    by_pk = {
        pk: data.Code(
            guid=guid(uuid),
            name=label,
            color=colour or None,
            description=description,
            notes=list(notes.get(pk, [])),
        )
        for pk, uuid, label, description, colour, _parent in rows
    }
    parent_of = {pk: parent for pk, *_rest, parent in rows if parent in by_pk}

    def loops(pk: int) -> bool:
        seen, at = {pk}, parent_of.get(pk)
        while at is not None:
            if at in seen:
                return True
            seen.add(at)
            at = parent_of.get(at)
        return False

    top = []
    for pk, *_rest in rows:  # rows come in label order: so do children
        parent = parent_of.get(pk)
        if parent is None or loops(pk):
            top.append(by_pk[pk])
        else:
            by_pk[parent].children.append(by_pk[pk])
    return top, by_pk


def _current_versions(member: Membership):
    latest = (
        TranscriptVersion.objects.filter(transcript=OuterRef("transcript"))
        .order_by("-number")
        .values("pk")[:1]
    )
    return TranscriptVersion.objects.filter(
        transcript__study_id=member.study_id,
        transcript__state=TranscriptState.LOCKED,
        pk=Subquery(latest),
    )


def _value(kind: str, raw: str):
    if kind == AttributeKind.INTEGER:
        return int(raw)
    if kind == AttributeKind.DATE:
        return date.fromisoformat(raw)
    return raw


def project_for(member: Membership) -> tuple[data.Project, Summary]:
    """The study as the member may see it, as plain data, and what that holds. A constant number
    of queries, whatever the study's size."""
    study = member.study
    summary = Summary(exported_by="", blinded=member_is_blinded(member))

    transcripts = list(
        Transcript.objects.filter(study=study)
        .order_by("participant__created_at", "imported_at", "pk")
        .values_list(
            "pk", "uuid", "title", "state", "participant_id", "source_project_id", "imported_at"
        )
    )
    summary.not_locked = [t[2] for t in transcripts if t[3] != TranscriptState.LOCKED]
    versions = {
        transcript_id: (pk, number, text)
        for pk, transcript_id, number, text in _current_versions(member).values_list(
            "pk", "transcript_id", "number", "text"
        )
    }

    # Codings of the current versions, under the blind rule, grouped into selections.
    codings = list(
        Coding.objects.visible_to(member)
        .filter(version__in=_current_versions(member))
        .order_by("version_id", "start", "end", "created_at", "pk")
        .values_list(
            "pk", "uuid", "version_id", "code_id", "coder_id", "start", "end", "created_at"
        )
    )
    codes = list(
        Code.objects.visible_to(member).values_list(
            "pk", "uuid", "label", "description", "colour", "parent_id", "retired_at"
        )
    )
    memos = list(
        Memo.objects.visible_to(member)
        .order_by("created_at", "pk")
        .values_list(
            "uuid",
            "author_id",
            "text",
            "coding_id",
            "code_id",
            "transcript_id",
            "created_at",
            "updated_at",
        )
    )

    # Retired codes leave only with the codings they still hold (or a memo on them).
    used_codes = {row[3] for row in codings} | {memo[4] for memo in memos if memo[4]}
    codes = [row[:6] for row in codes if row[6] is None or row[0] in used_codes]
    code_pks = {row[0] for row in codes}
    codings = [row for row in codings if row[3] in code_pks]
    coding_pks = {row[0] for row in codings}
    version_of = {pk: transcript_id for transcript_id, (pk, _n, _t) in versions.items()}
    labels = {row[0]: row[2] for row in codes}
    titles = {t[0]: t[2] for t in transcripts}
    coding_rows = {row[0]: row for row in codings}
    memos = [
        memo
        for memo in memos
        if (memo[3] and memo[3] in coding_pks)
        or (memo[4] and memo[4] in code_pks)
        or (memo[5] and memo[5] in versions)
    ]

    user_ids = {row[4] for row in codings} | {memo[1] for memo in memos} | {member.user_id}
    User = get_user_model()
    names = dict(User.objects.filter(pk__in=user_ids).values_list("pk", User.USERNAME_FIELD))
    user_of = {pk: user_guid(study.slug, name) for pk, name in names.items()}
    summary.exported_by = names[member.user_id]
    users = [
        data.User(guid=user_of[pk], name=name)
        for pk, name in sorted(names.items(), key=lambda item: item[1])
    ]

    notes_on_coding: dict[int, list[str]] = defaultdict(list)
    notes_on_code: dict[int, list[str]] = defaultdict(list)
    notes_on_transcript: dict[int, list[str]] = defaultdict(list)
    notes = []
    for uuid, author, text, coding, code, transcript, created, updated in memos:
        if coding:
            row = coding_rows[coding]
            notes_on_coding[coding].append(guid(uuid))
            name = f"Memo on “{labels[row[3]]}” in {titles[version_of[row[2]]]}"
        elif code:
            notes_on_code[code].append(guid(uuid))
            name = f"Memo on “{labels[code]}”"
        else:
            notes_on_transcript[transcript].append(guid(uuid))
            name = f"Memo on {titles[transcript]}"
        notes.append(
            data.Note(
                guid=guid(uuid),
                text=text,
                name=name,
                user=user_of[author],
                created=created,
                modified=updated,
            )
        )

    tree, code_by_pk = _code_tree(codes, notes_on_code)

    by_version: dict[int, list[tuple]] = defaultdict(list)
    for row in codings:
        by_version[row[2]].append(row)
    sources, source_of_transcript = [], {}
    for pk, uuid, title, _state, _participant, _project, imported_at in transcripts:
        if pk not in versions:
            continue
        version_pk, number, text = versions[pk]
        text, remap = lf_text(text)
        source = data.Source(
            guid=guid(uuid),
            name=title,
            text=text,
            text_guid=text_guid(uuid, number),
            created=imported_at,
            notes=list(notes_on_transcript.get(pk, [])),
        )
        selections: dict[tuple[int, int], data.Selection] = {}
        for coding_pk, coding_uuid, _v, code, coder, start, end, created in by_version[version_pk]:
            start, end = remap(start), remap(end)
            selection = selections.get((start, end))
            if selection is None:
                selection = selections[(start, end)] = data.Selection(
                    guid=selection_guid(uuid, number, start, end),
                    start=start,
                    end=end,
                    name=text[start:end],
                    user=user_of[coder],
                    created=created,
                )
            its_notes = list(notes_on_coding.get(coding_pk, []))
            selection.codings.append(
                data.Coding(
                    guid=guid(coding_uuid),
                    code=code_by_pk[code].guid,
                    user=user_of[coder],
                    created=created,
                    notes=list(its_notes),
                )
            )
            selection.notes += its_notes
        source.selections = sorted(selections.values(), key=lambda s: (s.start, s.end))
        sources.append(source)
        source_of_transcript[pk] = source.guid

    attributes = list(
        AttributeDefinition.objects.filter(study=study).values_list(
            "pk", "uuid", "name", "kind", "choices"
        )
    )
    variables = [
        data.Variable(
            guid=guid(uuid),
            name=name,
            type=VARIABLE_TYPES.get(kind, "Text"),
            description=f"One of: {', '.join(choices)}"
            if kind == AttributeKind.CHOICE and choices
            else "",
            choices=list(choices) if kind == AttributeKind.CHOICE else [],
        )
        for _pk, uuid, name, kind, choices in attributes
    ]
    attribute_of = {pk: (guid(uuid), name, kind) for pk, uuid, name, kind, _c in attributes}
    values: dict[int, list[data.VariableValue]] = defaultdict(list)
    participants = list(
        Participant.objects.filter(study=study)
        .order_by("created_at", "pk")
        .values_list("pk", "uuid", "pseudonym")
    )
    pseudonyms = {pk: pseudonym for pk, _uuid, pseudonym in participants}
    order = {pk: position for position, (pk, *_rest) in enumerate(attributes)}
    for participant, attribute, raw in sorted(
        AttributeValue.objects.filter(participant__study=study).values_list(
            "participant_id", "attribute_id", "value"
        ),
        key=lambda row: (row[0], order.get(row[1], 0)),
    ):
        if not raw or attribute not in attribute_of:
            continue
        variable, name, kind = attribute_of[attribute]
        try:
            values[participant].append(
                data.VariableValue(variable=variable, value=_value(kind, raw))
            )
        except ValueError:
            summary.skipped_values.append(f"{pseudonyms.get(participant, '?')}'s {name}")
    sources_of_participant: dict[int, list[str]] = defaultdict(list)
    for pk, _uuid, _title, _state, participant, _project, _at in transcripts:
        if pk in source_of_transcript:
            sources_of_participant[participant].append(source_of_transcript[pk])
    cases = [
        data.Case(
            guid=guid(uuid),
            name=pseudonym,
            values=values.get(pk, []),
            sources=sources_of_participant.get(pk, []),
        )
        for pk, uuid, pseudonym in participants
    ]

    members_of_project: dict[int, list[str]] = defaultdict(list)
    for pk, _uuid, _title, _state, _participant, project, _at in transcripts:
        if pk in source_of_transcript:
            members_of_project[project].append(source_of_transcript[pk])
    sets = [
        data.Set(
            guid=guid(uuid),
            name=name,
            description="The transcripts of a source project this study analyses.",
            sources=members_of_project[pk],
        )
        for pk, uuid, name in SourceProject.objects.filter(study=study).values_list(
            "pk", "uuid", "name"
        )
        if members_of_project.get(pk)
    ]

    project = data.Project(
        name=study.title,
        origin=ORIGIN,
        description=study.research_question,
        user=user_of[member.user_id],
        created=timezone.now(),
        users=users,
        codes=tree,
        variables=variables,
        cases=cases,
        sources=sources,
        notes=notes,
        sets=sets,
    )
    summary.sources = len(sources)
    summary.selections = sum(len(source.selections) for source in sources)
    summary.codings = len(codings)
    summary.codes = len(codes)
    summary.users = len(users)
    summary.notes = len(notes)
    summary.cases = len(cases)
    summary.variables = len(variables)
    summary.coders = sorted({names[row[4]] for row in codings})
    return project, summary


def codebook_for(member: Membership) -> data.Codebook:
    """The live codes the member may see, as a tree (retired codes stay home)."""
    rows = list(
        Code.objects.visible_to(member)
        .filter(retired_at__isnull=True)
        .values_list("pk", "uuid", "label", "description", "colour", "parent_id")
    )
    tree, _by_pk = _code_tree(rows, {})
    return data.Codebook(codes=tree, origin=ORIGIN)


# Writing and auditing -------------------------------------------------------------------------


def _write(content: bytes, out: str | os.PathLike | BinaryIO | None) -> None:
    """To a path (whole or not at all: a temporary file renamed into place) or a binary file."""
    if out is None:
        return
    if hasattr(out, "write"):
        out.write(content)
        return
    path = Path(out)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(content)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _finish(
    member: Membership,
    *,
    content: bytes,
    what: str,
    extension: str,
    media_type: str,
    summary: Summary | None,
    details: dict,
    out,
    request: HttpRequest | None,
) -> Export:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"{member.study.slug}-{what}-{stamp}.{extension}"
    sha256 = hashlib.sha256(content).hexdigest()
    _write(content, out)
    audit(
        Action.EXPORT,
        request=request,
        actor=None if request is not None else member.user,
        study=member.study,
        details={
            "what": what,
            "format": extension,
            "file": filename if out is None or hasattr(out, "write") else str(out),
            "sha256": sha256,
            **details,
        },
    )
    return Export(
        content=content, filename=filename, media_type=media_type, summary=summary, sha256=sha256
    )


def export_study(
    member: Membership,
    *,
    out: str | os.PathLike | BinaryIO | None = None,
    request: HttpRequest | None = None,
) -> Export:
    """The study as a .qdpx, as the member may see it: checked (InvalidExport, nothing written),
    written to `out` if given, audited as EXPORT (by the request's user, or the member)."""
    project, summary = project_for(member)
    content = write_qdpx(project)
    return _finish(
        member,
        content=content,
        what="refi-qda",
        extension="qdpx",
        media_type=QDPX_TYPE,
        summary=summary,
        details=summary.counts(),
        out=out,
        request=request,
    )


def export_codebook(
    member: Membership,
    *,
    out: str | os.PathLike | BinaryIO | None = None,
    request: HttpRequest | None = None,
) -> Export:
    """The live codebook as a .qdc (at least one code: the schema wants one), checked, written
    to `out` if given, audited as EXPORT."""
    codebook = codebook_for(member)
    if not codebook.codes:
        raise NothingToExport(
            "There is no live code you can see, and a REFI-QDA codebook needs at least one: "
            "nothing was written."
        )
    content = write_qdc(codebook)
    return _finish(
        member,
        content=content,
        what="codebook",
        extension="qdc",
        media_type=QDC_TYPE,
        summary=None,
        details={"codes": sum(1 for _ in codebook.walk_codes())},
        out=out,
        request=request,
    )
