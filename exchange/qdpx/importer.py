"""Importing a REFI-QDA project (.qdpx): into a new study, or as a new source project of an
existing one (how a study merges earlier projects). One transaction: any error, and nothing is
stored.

What becomes what:

- Each text source becomes a transcript of its own, in anonymisation review (state REVIEW) with
  identifier detection run, as every import is: nothing reaches the coders before a person has
  reviewed, signed off and locked it. Its text is stored as the file has it (no BOM, LF line
  ends); speaker labels at the start of paragraphs become the turns' speakers and leave the text,
  and a text without labels becomes one turn per paragraph. The selections follow every step
  (`exchange.qdpx.offsets`).
- Cases become participants. A case's name may be a real name, so it never becomes a pseudonym:
  each participant gets the study's next free one (P1, P2 …), and the case's name is kept only in
  the identity vault (as the real name, or as the original ID when it looks like a code such as
  "P03"), with the case's description, identifying variables (name, e-mail, telephone …) and the
  names of its sources. A source that no case claims gets a participant of its own.
- Variables become participant attributes (values of identifying variables go to the vault).
- Each User becomes a coder layer: an existing member of the study whose username is the User's
  name; with `match_accounts`, an existing account of that username (added as a coder); otherwise
  a new account named after it, made safe and unique, with no usable password, added as a coder.
  Accounts are never matched silently: a file must not add a stranger to a study.
- Codes keep their hierarchy, descriptions and (the nearest palette) colours. A code belongs to
  the one coder who used it, or to the importing person when several (or none) did, so that an
  open blind round later hides nobody's own codings from them. A code whose owner already has a
  live code of that label is that code (merging projects merges their codebooks); two codes of one
  label in the file are told apart by their parent's label.
- Codings land on the transcript's imported version, each coder's with their codes.
- Notes become memos on the codings, codes and transcripts they are about; notes about nothing
  (project notes) become shared journal entries of their authors.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone

from coding.models import PALETTE, Code, CodeEvent, Coding, JournalEntry, Memo
from exchange.qdpx import data
from exchange.qdpx.offsets import Layout, split_turns
from exchange.qdpx.reader import ReadProject, read_qdpx
from exchange.qdpx.safety import QdpxRefused, shown
from studies.audit import Action, audit
from studies.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    Identity,
    Membership,
    Participant,
    Role,
    SourceProject,
    Study,
)
from studies.models.participants import PSEUDONYM_NUMBER
from studies.services.sources import source_project_save
from studies.services.studies import membership_add, study_create
from transcripts import review
from transcripts.importers.base import compile_speaker_pattern
from transcripts.models import Speaker, Transcript, TranscriptVersion, Turn
from transcripts.services import INTERVIEWEE_LABELS, INTERVIEWER_LABELS

FORMAT = "qdpx"
_INTERVIEWER_WORDS = ("interviewer", "researcher", "moderator", "facilitator")
# A case name that is a code ("P03", "Case 12", "INT-4"), not a person's name.
_CODE_LIKE = re.compile(r"^[A-Za-z]{1,12}[ _-]?\d{1,4}[A-Za-z]?$")
# Variables whose values identify a person: they go to the vault, not into the attributes.
_IDENTIFYING = re.compile(
    r"\b(?:(?:full |first |last |sur|real |family |given )?name|e-?mail|phone|telephone|mobile|"
    r"address|post ?code|zip|contact|date of birth|dob|birth ?date|nhs|ssn|social security)\b",
    re.IGNORECASE,
)
_CONTACT = re.compile(r"e-?mail|phone|mobile|address|post ?code|zip|contact", re.IGNORECASE)
_NAME = re.compile(r"name", re.IGNORECASE)
_USERNAME_CHARACTERS = re.compile(r"[^\w.@+-]+")


@dataclass
class TranscriptLine:
    title: str
    pseudonym: str
    source: str  # the source's name in the file (shown to the importer only, never stored)
    kind: str
    reading: str
    evidence: str
    turns: int
    labelled: bool
    speakers: list[str] = field(default_factory=list)  # "Interviewer → interviewer", "P3 → P15"
    codings: int = 0
    candidates: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """What an import stored, how it read each source, and everything it left out."""

    study: Study
    source_project: SourceProject
    created_study: bool
    project_name: str
    namespace: str
    transcripts: list[TranscriptLine] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    coders: list[str] = field(default_factory=list)  # “anna” → anna (new account)
    attributes: list[str] = field(default_factory=list)
    codes: int = 0
    codes_reused: list[str] = field(default_factory=list)
    codes_renamed: list[str] = field(default_factory=list)
    codings: int = 0
    layers: int = 0  # coders with at least one coding
    memos: int = 0
    journal_entries: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        n = len(self.transcripts)
        return (
            f"{n} transcript{'s' if n != 1 else ''} (in anonymisation review), "
            f"{len(self.participants)} participant{'s' if len(self.participants) != 1 else ''}, "
            f"{self.codes} code{'s' if self.codes != 1 else ''}, {self.codings} coding"
            f"{'s' if self.codings != 1 else ''} by {self.layers} coder"
            f"{'s' if self.layers != 1 else ''}, {self.memos} memo"
            f"{'s' if self.memos != 1 else ''}"
            + (
                f", {self.journal_entries} journal entr{'ies' if self.journal_entries != 1 else 'y'}"
                if self.journal_entries
                else ""
            )
            + f" into “{self.source_project.name}” of “{self.study.title}”."
        )

    def lines(self) -> list[str]:
        """The whole report as plain lines (the command prints them)."""
        lines = [self.summary()]
        for line in self.transcripts:
            lines.append(
                f"{line.title} ({line.pseudonym}) from the {line.kind} “{line.source}”: "
                f"{line.turns} turn{'s' if line.turns != 1 else ''}"
                + (" from speaker labels" if line.labelled else " from paragraphs")
                + f", {line.codings} coding{'s' if line.codings != 1 else ''}, "
                f"{line.candidates} identifier{'s' if line.candidates != 1 else ''} to review"
            )
            lines.append(f"  offsets read as {line.reading}: {line.evidence}")
            if line.speakers:
                lines.append(f"  speakers: {'; '.join(line.speakers)}")
            lines.extend(f"  warning: {warning}" for warning in line.warnings)
        if self.coders:
            lines.append(f"Coders: {'; '.join(self.coders)}")
        if self.attributes:
            lines.append(f"Attributes: {'; '.join(self.attributes)}")
        if self.codes_reused:
            lines.append(
                f"Codes already in the study, used as they are: {'; '.join(self.codes_reused)}"
            )
        if self.codes_renamed:
            lines.append(f"Codes renamed to keep labels apart: {'; '.join(self.codes_renamed)}")
        lines.extend(f"Warning: {warning}" for warning in self.warnings)
        lines.extend(f"Not imported: {item}" for item in self.skipped)
        return lines

    def counts(self) -> dict:
        """For the audit log: numbers and decisions, never names or text."""
        return {
            "source_project": self.source_project.name,
            "created_study": self.created_study,
            "transcripts": len(self.transcripts),
            "participants": len(self.participants),
            "coders": self.layers,
            "codes": self.codes,
            "codings": self.codings,
            "memos": self.memos,
            "journal_entries": self.journal_entries,
            "offset_readings": sorted({line.reading for line in self.transcripts}),
            "skipped": len(self.skipped),
            "namespace": self.namespace,
        }


def nearest_colour(colour: str | None) -> str | None:
    """The palette colour nearest to a #RRGGBB or #RGB colour (None for none or an invalid one,
    such as #RRGGBBAA, which lxml lets through)."""
    if not colour or not re.fullmatch(r"#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})", colour.strip()):
        return None
    digits = colour.strip()[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    rgb = tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))

    def distance(candidate: str) -> int:
        other = tuple(int(candidate[i : i + 2], 16) for i in (1, 3, 5))
        return sum((a - b) ** 2 for a, b in zip(rgb, other, strict=True))

    return min(PALETTE, key=distance)


def _plain(value) -> str:
    """A variable's value as an attribute stores it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


class _Import:
    """One import's work, inside the caller's transaction."""

    def __init__(
        self,
        *,
        read: ReadProject,
        study: Study,
        member: Membership,
        source_project: SourceProject,
        result: ImportResult,
        match_accounts: bool,
        request: HttpRequest | None,
    ) -> None:
        self.read = read
        self.project = read.project
        self.study = study
        self.member = member
        self.user = member.user
        self.source_project = source_project
        self.result = result
        self.match_accounts = match_accounts
        self.request = request
        self.now = timezone.now()
        self.users: dict[str, AbstractBaseUser] = {}  # User GUID → account
        self.participants: dict[str, Participant] = {}  # case GUID → participant
        self.source_participant: dict[str, Participant] = {}  # source GUID → participant
        self.vault: dict[Participant, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self.codes: dict[str, Code] = {}  # code GUID → code
        self.codings: dict[str, Coding] = {}  # coding GUID → the stored coding
        self.selection_codings: dict[str, list[tuple[Coding, str | None]]] = defaultdict(list)
        self.transcripts: dict[str, Transcript] = {}  # source GUID → transcript
        self.layers: set[int] = set()  # the accounts with codings
        self.valued: dict[Participant, set[int]] = defaultdict(set)  # attributes given a value

    def actor(self) -> dict:
        return {"request": self.request} if self.request is not None else {"actor": self.user}

    def run(self) -> None:
        self.accounts()
        attributes = self.attributes()
        self.people(attributes)
        self.codebook()
        self.sources()
        memos, entries = self.memos()
        detector = review.study_detector(self.study)
        self.check_writing(detector, memos, entries)
        for line, transcript in zip(
            self.result.transcripts, self.transcripts.values(), strict=True
        ):
            line.candidates = review.transcript_detect(transcript=transcript, detector=detector)

    # Users ---------------------------------------------------------------------------------------

    def accounts(self) -> None:
        User = get_user_model()
        members = {
            membership.user.get_username().casefold(): membership.user
            for membership in Membership.objects.filter(study=self.study).select_related("user")
        }
        project = self.project
        used = {note.user for note in project.notes}
        used.update(
            coding.user or selection.user or source.user or project.user
            for source, selection, coding in project.codings()
        )
        given: set[int] = set()
        for file_user in project.users:
            name = " ".join(file_user.name.split()) or f"user-{file_user.guid[:8]}"
            if file_user.guid not in used:
                self.result.skipped.append(
                    f"the user “{shown(name, 40)}”: no coding or note of theirs, so no account"
                )
                continue
            account = members.get(name.casefold())
            how = "already a member"
            if account is not None and account.pk in given:
                account = None
            if account is None and self.match_accounts:
                account = User.objects.filter(username__iexact=name, is_active=True).first()
                if account is not None and account.pk not in given:
                    membership_add(
                        actor=self.member,
                        user=account,
                        role=Role.CODER,
                        request=self.request,
                    )
                    how = "existing account, added as a coder"
                else:
                    account = None
            if account is None:
                account = User(username=self.username(name))
                account.set_unusable_password()
                account.save()
                membership_add(
                    actor=self.member, user=account, role=Role.CODER, request=self.request
                )
                how = "new account without a password, added as a coder"
            given.add(account.pk)
            self.users[file_user.guid] = account
            self.result.coders.append(f"“{shown(name, 40)}” → {account.get_username()} ({how})")

    @staticmethod
    def username(name: str) -> str:
        User = get_user_model()
        base = _USERNAME_CHARACTERS.sub("-", name).strip("-.")[:40] or "coder"
        candidate, n = base, 2
        while User.objects.filter(username__iexact=candidate).exists():
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def account(self, *guids: str | None) -> AbstractBaseUser:
        """The account of the first of these User GUIDs that is known; the importer otherwise."""
        for guid in guids:
            if guid is not None and guid in self.users:
                return self.users[guid]
        return self.user

    # Attributes and participants -----------------------------------------------------------------

    def attributes(self) -> dict[str, AttributeDefinition | None]:
        """Variable GUID → its attribute (None for an identifying variable, kept in the vault)."""
        existing = {
            a.name.casefold(): a for a in AttributeDefinition.objects.filter(study=self.study)
        }
        position = len(existing)
        kinds = {"Integer": AttributeKind.INTEGER, "Date": AttributeKind.DATE}
        attributes: dict[str, AttributeDefinition | None] = {}
        for variable in self.project.variables:
            if _IDENTIFYING.search(variable.name):
                attributes[variable.guid] = None
                self.result.attributes.append(
                    f"“{shown(variable.name, 40)}” looks identifying: its values are kept in the "
                    "vault, not as an attribute"
                )
                continue
            name = variable.name[:60]
            attribute = existing.get(name.casefold())
            if attribute is not None:
                self.result.attributes.append(f"“{attribute.name}” (already in the study)")
            else:
                position += 1
                attribute = AttributeDefinition.objects.create(
                    study=self.study,
                    name=name,
                    kind=kinds.get(variable.type, AttributeKind.TEXT),
                    position=position,
                )
                existing[name.casefold()] = attribute
                self.result.attributes.append(
                    f"“{attribute.name}” ({attribute.get_kind_display().lower()})"
                )
                audit(
                    Action.ATTRIBUTE_SAVE,
                    **self.actor(),
                    study=self.study,
                    target=attribute,
                    details={"name": attribute.name, "kind": attribute.kind, "values": []},
                )
            attributes[variable.guid] = attribute
        return attributes

    def people(self, attributes: dict[str, AttributeDefinition | None]) -> None:
        project, result = self.project, self.result
        sources = {source.guid: source for source in project.sources}
        selection_source = {
            selection.guid: source.guid for source, selection in project.selections()
        }
        case_of_source: dict[str, data.Case] = {}
        for case in project.cases:
            its_sources = list(case.sources) + [
                selection_source[s] for s in case.selections if s in selection_source
            ]
            for source in dict.fromkeys(its_sources):
                if source in case_of_source and case_of_source[source] is not case:
                    result.warnings.append(
                        f"the source “{shown(sources[source].name)}” belongs to several cases; "
                        f"its transcript is the first one's"
                    )
                    continue
                case_of_source[source] = case
        with_sources = {id(case) for case in case_of_source.values()}
        variables = {variable.guid: variable for variable in project.variables}
        number = int(
            PSEUDONYM_NUMBER.match(Participant.objects.next_pseudonym(self.study)).group(1)
        )

        def new_participant() -> Participant:
            nonlocal number
            pseudonym = f"P{number}"
            number += 1
            participant = Participant.objects.create(
                study=self.study, source_project=self.source_project, pseudonym=pseudonym
            )
            result.participants.append(pseudonym)
            audit(
                Action.PARTICIPANT_CREATE,
                **self.actor(),
                study=self.study,
                target=participant,
                details={"pseudonym": pseudonym, "source_project": self.source_project.name},
            )
            return participant

        for case in project.cases:
            if id(case) not in with_sources and not case.values:
                result.skipped.append(
                    f"the case “{shown(case.name or case.guid[:8])}”: it has no sources and no "
                    "values, so no participant was made for it"
                )
                continue
            participant = new_participant()
            self.participants[case.guid] = participant
            vault = self.vault[participant]
            if case.name and _CODE_LIKE.match(case.name):
                vault["original_id"].append(case.name)
            elif case.name:
                vault["real_name"].append(case.name)
            if description := self.read.case_descriptions.get(case.guid):
                vault["notes"].append(f"Case description: {description.strip()}")
            self.values(participant, case.values, attributes, variables)
        for source in project.sources:
            if not source.text.strip():
                continue  # reported as blank, and no transcript: no participant either
            case = case_of_source.get(source.guid)
            if case is not None and case.guid in self.participants:
                participant = self.participants[case.guid]
            else:
                participant = new_participant()
            self.source_participant[source.guid] = participant
            self.vault[participant]["notes"].append(
                f"Source in the imported project “{project.name}”: “{source.name}”"
            )
            self.values(
                participant, self.read.source_values.get(source.guid, []), attributes, variables
            )
        self.identities()

    def values(
        self,
        participant: Participant,
        values: list[data.VariableValue],
        attributes: dict[str, AttributeDefinition | None],
        variables: dict[str, data.Variable],
    ) -> None:
        rows = {}
        taken = self.valued[participant]
        for value in values:
            variable = variables[value.variable]
            raw = _plain(value.value)
            if not raw:
                continue
            attribute = attributes.get(value.variable)
            if attribute is None:
                slot = (
                    "contact"
                    if _CONTACT.search(variable.name)
                    else "real_name"
                    if _NAME.search(variable.name) and not self.vault[participant]["real_name"]
                    else "notes"
                )
                shown_value = raw if slot != "notes" else f"{variable.name}: {raw}"
                self.vault[participant][slot].append(shown_value)
                continue
            try:
                cleaned = attribute.clean_value(raw)
            except ValidationError as error:
                self.result.warnings.append(
                    f"a value of “{attribute.name}” for {participant.pseudonym} was left out: "
                    f"{' '.join(error.messages)}"
                )
                continue
            if attribute.pk in taken or attribute.pk in rows:
                self.result.warnings.append(
                    f"{participant.pseudonym} has two values of “{attribute.name}”; the first is kept"
                )
                continue
            rows[attribute.pk] = AttributeValue(
                participant=participant, attribute=attribute, value=cleaned
            )
        AttributeValue.objects.bulk_create(rows.values())
        taken.update(rows)

    def identities(self) -> None:
        written = []
        for participant, slots in self.vault.items():
            Identity.objects.create(
                participant=participant,
                real_name="; ".join(slots["real_name"]),
                contact="; ".join(slots["contact"]),
                original_id="; ".join(slots["original_id"]),
                notes="\n".join(slots["notes"]),
            )
            written.append(participant.pseudonym)
        if written:
            audit(
                Action.VAULT_WRITE,
                **self.actor(),
                study=self.study,
                details={"what": "identity (REFI-QDA import)", "participants": written},
            )

    # Codes -------------------------------------------------------------------------------------

    def codebook(self) -> None:
        project, result = self.project, self.result
        used_by: dict[str, set[int]] = defaultdict(set)
        for source, selection, coding in project.codings():
            account = self.account(coding.user, selection.user, source.user, project.user)
            used_by[coding.code].add(account.pk)
        accounts = {account.pk: account for account in self.users.values()}
        accounts[self.user.pk] = self.user
        before = {
            (code.created_by_id, code.label.casefold()): code
            for code in Code.objects.filter(study=self.study, retired_at__isnull=True)
        }
        taken = set(before)
        counts: dict[int, int] = defaultdict(
            int,
            Code.objects.filter(study=self.study)
            .values("created_by")
            .annotate(n=Count("pk"))
            .values_list("created_by", "n"),
        )
        for code, parent in project.walk_codes():
            users = used_by.get(code.guid, set())
            owner = accounts[next(iter(users))] if len(users) == 1 else self.user
            label = " ".join(code.name.split())[:120] or "Unnamed code"
            existing = before.get((owner.pk, label.casefold()))
            if existing is not None:
                self.codes[code.guid] = existing
                result.codes_reused.append(f"“{existing.label}”")
                continue
            if (owner.pk, label.casefold()) in taken:
                original = label
                parent_label = self.codes[parent.guid].label if parent is not None else ""
                label = f"{original} ({parent_label})"[:120] if parent_label else original
                n = 2
                while (owner.pk, label.casefold()) in taken:
                    label, n = f"{original} {n}"[:120], n + 1
                result.codes_renamed.append(f"“{original}” → “{label}”")
            colour = nearest_colour(code.color)
            if colour is None:
                if code.color:
                    result.warnings.append(
                        f"the code “{shown(label)}” has the colour {shown(code.color, 12)!r}, not "
                        "#RRGGBB or #RGB; it gets one from the palette"
                    )
                colour = PALETTE[counts[owner.pk] % len(PALETTE)]
            counts[owner.pk] += 1
            stored = Code.objects.create(
                study=self.study,
                label=label,
                description=code.description.strip(),
                colour=colour,
                parent=self.codes[parent.guid] if parent is not None else None,
                created_by=owner,
            )
            CodeEvent.objects.create(
                code=stored,
                kind=CodeEvent.Kind.CREATED,
                by=owner,
                reason=f"Imported from the REFI-QDA project “{project.name}”."[:500],
                details={"imported": True, "codable_in_source": code.is_codable},
            )
            taken.add((owner.pk, label.casefold()))
            self.codes[code.guid] = stored
            result.codes += 1
        folders = sum(1 for code, _p in project.walk_codes() if not code.is_codable)
        if folders:
            result.warnings.append(
                f"{folders} code folder{'s' if folders != 1 else ''} (not codable in the file) "
                "imported as codes, keeping the hierarchy"
            )

    # Sources -----------------------------------------------------------------------------------

    def sources(self) -> None:
        try:
            pattern = compile_speaker_pattern(self.study.speaker_pattern or None)
        except ValueError as error:
            raise ValidationError(f"The study's speaker label pattern: {error}.") from None
        reports = {report.guid: report for report in self.read.sources}
        seen: dict[str, str] = {}
        transcripts_of: dict[int, int] = defaultdict(int)
        for source in self.project.sources:
            report = reports[source.guid]
            layout = split_turns(source.text, pattern)
            if not layout.turns:
                self.result.skipped.append(
                    f"the {report.kind} “{shown(source.name)}”: its text is blank"
                )
                continue
            digest = self.read.source_digests[source.guid]
            if digest in seen:
                self.result.warnings.append(
                    f"the sources “{shown(seen[digest])}” and “{shown(source.name)}” have the same text"
                )
                digest = hashlib.sha256(f"{digest}:{source.guid}".encode()).hexdigest()
            seen[digest] = source.name
            if Transcript.objects.filter(study=self.study, sha256=digest).exists():
                raise ValidationError(
                    f"The source “{shown(source.name)}” is already in this study (the same text "
                    "was imported before): was this project imported already?"
                )
            participant = self.source_participant[source.guid]
            transcripts_of[participant.pk] += 1
            earlier = transcripts_of[participant.pk] - 1
            transcript = Transcript.objects.create(
                study=self.study,
                participant=participant,
                source_project=self.source_project,
                title=f"Interview with {participant.pseudonym}"
                + (f" ({earlier + 1})" if earlier else ""),
                format=FORMAT,
                sha256=digest,
                imported_by=self.user,
            )
            version = TranscriptVersion.objects.create(
                transcript=transcript, number=1, text=layout.text
            )
            line = TranscriptLine(
                title=transcript.title,
                pseudonym=participant.pseudonym,
                source=shown(source.name),
                kind=report.kind,
                reading=report.reading_label,
                evidence=report.evidence,
                turns=len(layout.turns),
                labelled=layout.labelled,
                warnings=list(report.warnings) + layout.warnings,
            )
            self.turns(version, layout, participant, line)
            line.codings = self.source_codings(source, version, layout, line)
            self.transcripts[source.guid] = transcript
            self.result.transcripts.append(line)
            audit(
                Action.TRANSCRIPT_IMPORT,
                **self.actor(),
                study=self.study,
                target=transcript,
                details={
                    "format": FORMAT,
                    "turns": len(layout.turns),
                    "participant": participant.pseudonym,
                },
            )

    def speaker(self, label: str, participant: Participant) -> Participant | None:
        """Who a speaker label is: None for the interviewer, else a participant — the case of that
        name in this project, or the source's own participant."""
        folded = " ".join(label.split()).casefold()
        if folded in INTERVIEWER_LABELS or folded.startswith(_INTERVIEWER_WORDS):
            return None
        if folded in INTERVIEWEE_LABELS:
            return participant
        for case in self.project.cases:
            if (
                case.name
                and " ".join(case.name.split()).casefold() == folded
                and case.guid in self.participants
            ):
                return self.participants[case.guid]
        return participant

    def turns(
        self, version: TranscriptVersion, layout: Layout, participant: Participant, line
    ) -> None:
        mapped: dict[str, Participant | None] = {}
        rows = []
        for position, turn in enumerate(layout.turns, start=1):
            who = participant
            if turn.speaker:
                if turn.speaker not in mapped:
                    mapped[turn.speaker] = self.speaker(turn.speaker, participant)
                who = mapped[turn.speaker]
            rows.append(
                Turn(
                    version=version,
                    position=position,
                    speaker=Speaker.INTERVIEWER if who is None else Speaker.PARTICIPANT,
                    participant=who,
                    start=turn.start,
                    end=turn.end,
                    started_at=turn.started_at,
                )
            )
        Turn.objects.bulk_create(rows)
        line.speakers = [
            f"{shown(label, 40)} → {'interviewer' if who is None else who.pseudonym}"
            for label, who in mapped.items()
        ]

    def source_codings(self, source: data.Source, version, layout: Layout, line) -> int:
        project = self.project
        stored: dict[tuple, Coding] = {}
        text = layout.text
        for selection in source.selections:
            span = layout.move(selection.start, selection.end)
            if span is None:
                line.warnings.append(
                    f"a selection at {selection.start}–{selection.end} covers only a speaker "
                    "label; its codings were left out"
                )
                continue
            start, end = span
            if not text[start:end].strip():
                line.warnings.append(
                    f"a selection at {selection.start}–{selection.end} covers only spaces; its "
                    "codings were left out"
                )
                continue
            for coding in selection.codings:
                coder = self.account(coding.user, selection.user, source.user, project.user)
                code = self.codes[coding.code]
                key = (code.pk, coder.pk, start, end)
                kept = stored.get(key)
                if kept is None:
                    kept = stored[key] = Coding(
                        version=version,
                        code=code,
                        coder=coder,
                        start=start,
                        end=end,
                        created_at=coding.created or self.now,
                    )
                self.codings[coding.guid] = kept
                self.selection_codings[selection.guid].append((kept, coding.user))
        Coding.objects.bulk_create(stored.values())
        self.result.codings += len(stored)
        self.layers.update(coding.coder_id for coding in stored.values())
        self.result.layers = len(self.layers)
        return len(stored)

    # Memos ---------------------------------------------------------------------------------------

    def memos(self) -> tuple[list[Memo], list[JournalEntry]]:
        project = self.project
        notes = {note.guid: note for note in project.notes}
        memos: list[Memo] = []

        def memo(note: data.Note, **target) -> None:
            memos.append(
                Memo(
                    study=self.study,
                    author=self.account(note.user),
                    text=note.text,
                    created_at=note.created or self.now,
                    updated_at=note.modified or note.created or self.now,
                    **target,
                )
            )

        for code, _parent in project.walk_codes():
            for guid in code.notes:
                memo(notes[guid], code=self.codes[code.guid])
        for source in project.sources:
            transcript = self.transcripts.get(source.guid)
            if transcript is None:
                continue
            if source.description.strip():
                memo(
                    data.Note(guid="", text=source.description.strip(), user=source.user),
                    transcript=transcript,
                )
            for guid in source.notes:
                memo(notes[guid], transcript=transcript)
            for selection in source.selections:
                on_codings = set()
                for coding in selection.codings:
                    stored = self.codings.get(coding.guid)
                    for guid in coding.notes:
                        on_codings.add(guid)
                        if stored is not None:
                            memo(notes[guid], coding=stored)
                        else:
                            memo(notes[guid], transcript=transcript)
                for guid in selection.notes:
                    if guid in on_codings:
                        continue
                    note = notes[guid]
                    codings = self.selection_codings.get(selection.guid, [])
                    by_author = [c for c, user in codings if user is not None and user == note.user]
                    target = (by_author or [c for c, _u in codings] or [None])[0]
                    if target is not None:
                        memo(note, coding=target)
                    else:
                        memo(note, transcript=transcript)
        Memo.objects.bulk_create(memos)
        self.result.memos = len(memos)
        entries = [
            JournalEntry(
                study=self.study,
                author=self.account(notes[guid].user),
                title=(notes[guid].name or "Note from the imported project")[:200],
                text=notes[guid].text,
                shared=True,
                created_at=notes[guid].created or self.now,
                updated_at=notes[guid].modified or notes[guid].created or self.now,
            )
            for guid in self.read.loose_notes
            if guid in notes
        ]
        JournalEntry.objects.bulk_create(entries)
        self.result.journal_entries = len(entries)
        if entries:
            self.result.warnings.append(
                f"{len(entries)} note{'s' if len(entries) != 1 else ''} about nothing in particular "
                "became shared journal entries of their authors"
            )
        return memos, entries

    def check_writing(self, detector, memos: list[Memo], entries: list[JournalEntry]) -> None:
        """Memos, journal entries and code descriptions are researchers' writing, which no
        anonymisation review reads: say which of them mention what may identify someone (a
        participant's name from the vault, the deny-list, an e-mail address …), so that a person
        reads them before coders do. Capitalised words alone are too common to report here."""
        places = []

        def mentions(text: str) -> bool:
            return any(found.category != "capitalised" for found in detector.detect(text))

        titles = {t.pk: t.title for t in self.transcripts.values()}
        for memo in memos:
            if mentions(memo.text):
                if memo.code_id:
                    places.append(f"a memo on the code “{memo.code.label}”")
                elif memo.coding_id:
                    places.append(
                        f"a memo on a coding in {titles[memo.coding.version.transcript_id]}"
                    )
                else:
                    places.append(f"a memo on {titles[memo.transcript_id]}")
        places += [f"the journal entry “{e.title}”" for e in entries if mentions(e.text)]
        places += [
            f"the description of the code “{code.label}”"
            for code in dict.fromkeys(self.codes.values())
            if code.description and mentions(code.description)
        ]
        if places:
            shown_places = "; ".join(places[:10]) + ("; …" if len(places) > 10 else "")
            one = len(places) == 1
            self.result.warnings.append(
                f"{len(places)} memo{'' if one else 's'}, journal entr{'y' if one else 'ies'} or "
                f"code description{'' if one else 's'} mention{'s' if one else ''} what may "
                "identify someone; memos are not anonymised, so read and edit "
                f"{'it' if one else 'them'} before coders do: {shown_places}"
            )


def read_or_refuse(content: bytes, filename: str = "") -> ReadProject:
    """The project in the file, or a ValidationError naming the file and the reason."""
    try:
        return read_qdpx(content)
    except QdpxRefused as error:
        raise ValidationError(f"{_named(filename)} cannot be imported: {error}.") from None


def _named(filename: str) -> str:
    return f"“{shown(filename)}”" if filename else "This .qdpx"


def qdpx_import(
    *,
    content: bytes,
    user: AbstractBaseUser,
    member: Membership | None = None,
    new_study: dict | None = None,
    source_project_name: str = "",
    match_accounts: bool = False,
    filename: str = "",
    request: HttpRequest | None = None,
) -> ImportResult:
    """Import a .qdpx as a new source project of `member`'s study (a lead or custodian), or, with
    `new_study` (title, research_question …, defaults from the file), into a new study of which
    `user` becomes the custodian. All or nothing: a ValidationError (one message, naming the file
    and the reason) leaves the database as it was."""
    if (member is None) == (new_study is None):
        raise ValueError("give either member (an existing study) or new_study")
    if member is not None and not member.has_role(Role.LEAD):
        raise PermissionDenied("Importing a project into a study needs the lead role.")
    read = read_or_refuse(content, filename)
    try:
        with transaction.atomic():
            return _import(
                read,
                user=user,
                member=member,
                new_study=new_study,
                source_project_name=source_project_name,
                match_accounts=match_accounts,
                request=request,
            )
    except ValidationError as error:
        raise ValidationError(
            f"{_named(filename)} was not imported: {' '.join(error.messages)}"
        ) from None
    except IntegrityError:  # a pseudonym or label taken meanwhile by someone else's change
        raise ValidationError(
            f"{_named(filename)} was not imported: the study changed while it was being "
            "imported; try again."
        ) from None


def _import(
    read: ReadProject,
    *,
    user: AbstractBaseUser,
    member: Membership | None,
    new_study: dict | None,
    source_project_name: str,
    match_accounts: bool,
    request: HttpRequest | None,
) -> ImportResult:
    created = member is None
    if created:
        fields = dict(new_study)
        fields.setdefault("title", read.project.name[:200])
        fields.setdefault(
            "research_question",
            read.project.description.strip()
            or f"Imported from the REFI-QDA project “{read.project.name}”.",
        )
        study = study_create(creator=user, request=request, **fields)
        member = Membership.objects.select_related("study", "user").get(study=study, user=user)
    study = member.study
    source_project = source_project_save(
        study=study,
        project=None,
        name=(source_project_name or read.project.name).strip()[:120],
        ethics_reference="",
        protocol=None,
        consent_covers_secondary_analysis=False,
        actor=user,
        request=request,
    )
    result = ImportResult(
        study=study,
        source_project=source_project,
        created_study=created,
        project_name=read.project.name,
        namespace=read.namespace,
        skipped=list(read.skipped),
        warnings=list(read.warnings),
    )
    _Import(
        read=read,
        study=study,
        member=member,
        source_project=source_project,
        result=result,
        match_accounts=match_accounts,
        request=request,
    ).run()
    audit(
        Action.INTERCHANGE_IMPORT,
        request=request,
        actor=None if request is not None else user,
        study=study,
        target=source_project,
        details=result.counts(),
    )
    return result
