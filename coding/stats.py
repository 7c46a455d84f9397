"""Agreement runs: the pure statistics of `coding.agreement` on a study's locked transcripts and
its coders' codings, read under the blind rule, saved with the options and the codebook state
they used, and audited. The page and the `agreement` command both call `agreement_compute`.

Choices made here (PRODUCT.md §K):

- The text is each locked transcript's current version, and only the codings on it count.
- Codes people aligned across coders (`code_keys`) count as one code, labelled with the labels of
  the codes that were used, joined with " ≈ ".
- A coder is *assigned* a transcript (has values on its units) when they applied at least one
  code to it or coded it in a coding round; on a transcript not assigned to them a coder's
  values are missing, not "coded nothing", so an uncoded transcript does not inflate agreement.
- Without a choice of transcripts, the run takes every locked transcript assigned to at least
  two of the coders: those on which there is something to compare.
- Statistics are offered by default in the codebook and coding-reliability modes; in reflexive
  TA they are a deliberate step that needs a justification, which is carried into the methods
  text. Either way they are a prompt for discussion, never a gate or a grade.
- The blind rule: a member computes, and sees a run, only when nothing of the coders' work it
  rests on is hidden from them by an open round (`Blind`)."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from string import ascii_uppercase

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from coding import agreement
from coding.models import AgreementRun, Code, Coding, CodingRound, RoundCoder, blinding
from coding.reconcile.alignment_keys import code_keys, key_of
from studies.audit import Action, audit
from studies.models import AnalysisMode, Membership, Role, Study
from transcripts.models import Speaker, Transcript, TranscriptState, TranscriptVersion, Turn

UNITS = agreement.UNITS
UNIT_LABELS = {
    "turn": "speaker turn",
    "character": "character",
    "segment": "coded segment",
    "transcript": "transcript",
}
DEFAULT_THRESHOLD = agreement.DEFAULT_THRESHOLD
JUSTIFICATION_MIN = 20
STATISTICS_BY_DEFAULT = (AnalysisMode.CODEBOOK, AnalysisMode.CODING_RELIABILITY)
SAME = " ≈ "  # between the labels of aligned codes
CAVEAT = (
    "Agreement is a prompt for discussion between coders, not a measure of the "
    "quality of the analysis: in reflexive thematic analysis different readings are a resource."
)


def statistics_by_default(study: Study) -> bool:
    """Whether the study's analysis mode offers agreement statistics by default (codebook and
    coding-reliability TA); in reflexive TA they need a justification."""
    return study.analysis_mode in STATISTICS_BY_DEFAULT


def coder_letters(count: int) -> list[str]:
    """A, B, C … for the coders in a run's order (prevalence_a, prevalence_b …)."""
    return list(ascii_uppercase[:count])


# The blind rule


@dataclass(frozen=True)
class Blind:
    """What open rounds hide from a member: the coders whose work is blind to them (the other
    coders of a round they code in; for a viewer, every coder of an open round) and the
    transcripts on which others' codings are hidden. From the querysets' own rule
    (`coding.models.blinding`), so that the two cannot drift apart."""

    member: Membership
    coders: frozenset[int]
    transcripts: frozenset[int]

    @classmethod
    def of(cls, member: Membership) -> "Blind":
        transcripts, others, _see_none = blinding(member)
        return cls(
            member=member,
            coders=frozenset(others.values_list("coder_id", flat=True)),
            transcripts=frozenset(transcripts.values_list("pk", flat=True)),
        )

    def hidden_codes(self, uuids: Iterable[str]) -> set[str]:
        """Which of these codes (by UUID) are hidden from the member."""
        uuids = set(uuids)
        if not self.coders or not uuids:
            return set()  # only a hidden coder's codes are hidden
        visible = Code.objects.visible_to(self.member).values("pk")
        return {
            str(uuid)
            for uuid in Code.objects.filter(study_id=self.member.study_id, uuid__in=uuids)
            .exclude(pk__in=visible)
            .values_list("uuid", flat=True)
        }

    def hides_runs(self, runs: Sequence[AgreementRun]) -> set[int]:
        """The primary keys of the runs the member may not see now, because something they rest
        on — a coder's work, a transcript's codings, a code — is hidden by an open round. The runs
        come with their `coders` and `transcripts` prefetched: one query at most, for the codes."""
        if not self.coders and not self.transcripts:
            return set()
        hidden_codes = self.hidden_codes(uuid for run in runs for uuid in run.codebook)
        return {
            run.pk
            for run in runs
            if any(coder.pk in self.coders for coder in run.coders.all())
            or any(transcript.pk in self.transcripts for transcript in run.transcripts.all())
            or any(uuid in hidden_codes for uuid in run.codebook)
        }


def _refuse_if_blind(
    member: Membership,
    coders: Sequence[AbstractBaseUser],
    transcripts: Sequence[Transcript] | None,
) -> None:
    """Refuse when an open round hides some of the coders' work from the member: statistics over
    it would tell them about layers they may not see yet."""
    blind = Blind.of(member)
    names = [c.get_username() for c in coders if c.pk in blind.coders]
    hidden_transcripts = [t for t in transcripts or () if t.pk in blind.transcripts]
    codings = Coding.objects.filter(
        version__transcript__study_id=member.study_id, coder__in=[c.pk for c in coders]
    )
    if transcripts is not None:
        codings = codings.filter(version__transcript__in=[t.pk for t in transcripts])
    hidden_codings = (
        not names
        and not hidden_transcripts
        and (blind.coders or blind.transcripts)
        and codings.exclude(pk__in=Coding.objects.visible_to(member).values("pk")).exists()
    )
    if not (names or hidden_transcripts or hidden_codings):
        return
    open_rounds = CodingRound.objects.filter(study_id=member.study_id, closed_at__isnull=True)
    if member.role != Role.VIEWER:
        open_rounds = open_rounds.filter(round_coders__coder_id=member.user_id)
    titles = [
        f"“{title}”" for title in open_rounds.values_list("title", flat=True).order_by("title")
    ]
    where = (
        f"the open round{'s' if len(titles) > 1 else ''} {', '.join(titles)}"
        if titles
        else "an open coding round"
    )
    if names:
        what = f"{' and '.join(names)}'s codings are"
    elif hidden_transcripts:
        what = "The codings of " + ", ".join(f"“{t.title}”" for t in hidden_transcripts) + " are"
    else:
        what = "Some of these coders' codings are"
    raise ValidationError(
        f"{what} hidden from you by {where}: the round must be unblinded before agreement is "
        "computed on them."
    )


# Computing a run


def _errors(
    member: Membership,
    coders: list[AbstractBaseUser],
    unit: str,
    threshold: float | None,
    justification: str,
    transcripts: list[Transcript] | None,
) -> dict[str, list[str]]:
    """Every reason the input is refused, by the parameter it concerns."""
    errors: dict[str, list[str]] = defaultdict(list)
    if len(coders) < 2:
        errors["coders"].append("Choose at least two different coders: agreement compares coders.")
    roles = dict(
        Membership.objects.filter(
            study_id=member.study_id, user__in=[c.pk for c in coders]
        ).values_list("user_id", "role")
    )
    for coder in coders:
        if coder.pk not in roles:
            errors["coders"].append(f"{coder.get_username()} is not a member of this study.")
        elif Role(roles[coder.pk]).rank < Role.CODER.rank:
            errors["coders"].append(
                f"{coder.get_username()} is a viewer: viewers have no codings to compare."
            )
    if unit not in UNITS:
        errors["unit"].append(f"There is no unit “{unit}”: choose one of {', '.join(UNITS)}.")
    elif unit == "segment" and not (isinstance(threshold, int | float) and 0 < threshold <= 1):
        errors["threshold"].append(
            "The overlap threshold of segments is a share of their union: more than 0, at most 1."
        )
    if not statistics_by_default(member.study) and len(justification) < JUSTIFICATION_MIN:
        errors["justification"].append(
            "In reflexive thematic analysis agreement statistics are off by default: say why you "
            f"compute them, in at least {JUSTIFICATION_MIN} characters (the justification goes "
            "into the methods text)."
        )
    for transcript in transcripts or ():
        if transcript.study_id != member.study_id:
            errors["transcripts"].append(f"“{transcript.title}” belongs to another study.")
        elif not transcript.is_codable:
            errors["transcripts"].append(
                f"“{transcript.title}” is not locked: only a locked transcript is coded."
            )
    if transcripts is not None and not transcripts:
        errors["transcripts"].append("Choose at least one transcript, or none for the default.")
    return errors


@transaction.atomic
def agreement_compute(
    *,
    member: Membership,
    coders: Sequence[AbstractBaseUser],
    unit: str = "turn",
    threshold: float = DEFAULT_THRESHOLD,
    exclude_interviewer: bool = False,
    transcripts: Iterable[Transcript] | None = None,
    justification: str = "",
    request: HttpRequest | None = None,
) -> AgreementRun:
    """Compute agreement between the coders (at least two, in this order: coder A, B …) on the
    transcripts — by default every locked transcript assigned to at least two of them — save it
    as an AgreementRun with the codebook state it used, and audit it. Refuses bad input with a
    ValidationError naming the parameter and the reason, and refuses statistics over work an
    open round hides from the member."""
    if not member.has_role(Role.CODER):
        raise ValidationError(
            "Agreement statistics are computed by coders, leads and custodians; a viewer reads them."
        )
    coders = list({coder.pk: coder for coder in coders}.values())
    transcripts = None if transcripts is None else list(dict.fromkeys(transcripts))
    justification = " ".join(justification.split())
    errors = _errors(member, coders, unit, threshold, justification, transcripts)
    if errors:
        raise ValidationError(dict(errors))
    _refuse_if_blind(member, coders, transcripts)
    study = member.study

    # The current version of every locked transcript, and the codings on it.
    versions: dict[int, tuple[int, int]] = {}  # transcript → (version, number)
    for pk, transcript_id, number in (
        TranscriptVersion.objects.filter(
            transcript__study=study, transcript__state=TranscriptState.LOCKED
        )
        .order_by("transcript_id", "number")
        .values_list("pk", "transcript_id", "number")
    ):
        versions[transcript_id] = (pk, number)
    transcript_of = {version: transcript for transcript, (version, _n) in versions.items()}
    codings = list(
        Coding.objects.visible_to(member)
        .filter(version__in=list(transcript_of), coder__in=[c.pk for c in coders])
        .values_list("version_id", "code_id", "coder_id", "start", "end")
    )

    # Who was assigned which transcript: they coded it, or were its coders in a round.
    assigned: dict[int, set[int]] = {coder.pk: set() for coder in coders}
    for version, _code, coder, _start, _end in codings:
        assigned[coder].add(transcript_of[version])
    for coder, transcript in RoundCoder.objects.filter(
        round__study=study, coder__in=list(assigned)
    ).values_list("coder_id", "round__transcripts"):
        if transcript in versions:
            assigned[coder].add(transcript)
    if transcripts is None:
        together = defaultdict(int)
        for chosen in assigned.values():
            for transcript in chosen:
                together[transcript] += 1
        chosen_pks = {transcript for transcript, count in together.items() if count >= 2}
        if not chosen_pks:
            raise ValidationError(
                {
                    "transcripts": "No locked transcript has been coded by two of these coders "
                    "yet: there is nothing to compare."
                }
            )
        transcripts = list(
            Transcript.objects.filter(pk__in=chosen_pks).select_related("participant")
        )
    chosen_pks = {transcript.pk for transcript in transcripts}
    spans = [
        agreement.Span(transcript_of[version], code, coder, start, end)
        for version, code, coder, start, end in codings
        if transcript_of[version] in chosen_pks
    ]
    if not spans:
        raise ValidationError(
            {
                "transcripts": "These coders applied no codes to these transcripts: there is "
                "nothing to compare."
            }
        )
    turns = [
        agreement.Turn(transcript_of[version], start, end, speaker == Speaker.INTERVIEWER)
        for version, start, end, speaker in Turn.objects.filter(
            version__in=[versions[pk][0] for pk in chosen_pks]
        ).values_list("version_id", "start", "end", "speaker")
    ]

    # Aligned codes share a key; a key is named by the codes used under it.
    keys = code_keys(study)
    codes = {
        pk: (str(uuid), label, revision, creator)
        for pk, uuid, label, revision, creator in Code.objects.filter(
            pk__in={span.code for span in spans}
        ).values_list("pk", "uuid", "label", "revision", "created_by__username")
    }
    under: dict[int, list[int]] = defaultdict(list)
    for code in codes:
        under[key_of(keys, code)].append(code)
    spans = [
        agreement.Span(s.transcript, key_of(keys, s.code), s.coder, s.start, s.end) for s in spans
    ]
    order = [coder.pk for coder in coders]
    tables = agreement.unit_tables(
        turns,
        spans,
        coders=order,
        unit=unit,
        threshold=threshold if unit == "segment" else DEFAULT_THRESHOLD,
        exclude_interviewer=exclude_interviewer,
        assigned={coder: assigned[coder] & chosen_pks for coder in order},
    )
    result = _result(agreement.report(tables, order, unit=unit), under, codes)
    result["mode"] = study.analysis_mode
    result["coders"] = [{"id": c.pk, "username": c.get_username()} for c in coders]
    uuid_of = {t.pk: str(t.uuid) for t in transcripts}
    result["transcripts"] = {
        uuid_of[pk]: {
            "version": versions[pk][1],
            "coders": [c.get_username() for c in coders if pk in assigned[c.pk]],
        }
        for pk in sorted(chosen_pks, key=lambda pk: uuid_of[pk])
    }

    run = AgreementRun.objects.create(
        study=study,
        unit=unit,
        threshold=threshold if unit == "segment" else None,
        exclude_interviewer=exclude_interviewer,
        codebook={
            uuid: {"label": label, "revision": revision}
            for uuid, label, revision, _creator in sorted(codes.values())
        },
        result=result,
        justification=justification,
        created_by=member.user,
    )
    run.coders.set(coders)
    run.transcripts.set(transcripts)
    audit(
        Action.AGREEMENT,
        request=request,
        actor=member.user,
        study=study,
        target=run,
        details={
            "run": str(run.uuid),
            "mode": study.analysis_mode,
            "unit": unit,
            "threshold": run.threshold,
            "exclude_interviewer": exclude_interviewer,
            "coders": [c.get_username() for c in coders],
            "transcripts": len(chosen_pks),
            "codes": len(result["rows"]),
            "justified": bool(justification),
        },
    )
    return run


def _result(
    report: agreement.Report,
    under: dict[int, list[int]],
    codes: dict[int, tuple[str, str, int, str]],
) -> dict:
    """The report as JSON, each code key replaced by its label, its codes' UUIDs and who made
    them; the rows in order of their labels."""
    result = report.as_dict()
    rows = []
    for row in result["rows"]:
        members = sorted(under[row["code"]], key=lambda pk: (codes[pk][1].casefold(), pk))
        labels = list(dict.fromkeys(codes[pk][1] for pk in members))
        rows.append(
            row
            | {
                "code": SAME.join(labels),
                "codes": [codes[pk][0] for pk in members],
                "by": sorted({codes[pk][3] for pk in members}),
            }
        )
    rows.sort(key=lambda row: (row["code"].casefold(), row["code"], row["by"], row["codes"]))
    result["rows"] = rows
    return result


# Reading a run


def statistics(fields: dict, letters: Sequence[str], *, with_code: bool = True) -> dict:
    """One row of a run as the command and the JSON download give it."""
    out = {"code": fields["code"]} if with_code else {}
    out["n_units"] = fields["n_units"]
    for letter, value in zip(letters, fields["prevalence"], strict=True):
        out[f"prevalence_{letter.lower()}"] = value
    for name in ("percent_agreement", "cohen_kappa", "krippendorff_alpha"):
        out[name] = fields[name]
    return out


def run_as_json(run: AgreementRun) -> dict:
    """A run as the command prints it with --json and the page downloads it: the options, then
    `rows` (one object per code: code, n_units, prevalence_a, prevalence_b [, prevalence_c …],
    percent_agreement, cohen_kappa, krippendorff_alpha) and `pooled` (the same figures over every
    unit of every code, and mean_kappa, the mean of the codes' kappas)."""
    result = run.result
    letters = coder_letters(len(result["coders"]))
    return {
        "run": str(run.uuid),
        "study": run.study.slug,
        "created_at": run.created_at.isoformat(),
        "unit": run.unit,
        "threshold": run.threshold,
        "exclude_interviewer": run.exclude_interviewer,
        "coders": [coder["username"] for coder in result["coders"]],
        "transcripts": len(result["transcripts"]),
        "justification": run.justification,
        "rows": [statistics(row, letters) for row in result["rows"]],
        "pooled": statistics(result["pooled"], letters, with_code=False)
        | {"mean_kappa": result["pooled"]["mean_kappa"]},
    }
