"""The anonymisation review: candidates found in a transcript, decisions on them (one by one or
for an entity everywhere in the study), the anonymised version, sign-off and lock. Each
workflow runs in one transaction and leaves an audit event that names no identifier."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from studies.audit import Action, audit
from studies.models import Identity, Membership, Role, Study
from transcripts import versions
from transcripts.anonymise.detect import Detector, Entry
from transcripts.anonymise.spans import Edit, OffsetMap, apply_edits
from transcripts.models import (
    Candidate,
    CandidateStatus,
    EntityReplacement,
    ListedIdentifier,
    OriginalText,
    SearchJob,
    Transcript,
    TranscriptState,
    TranscriptVersion,
    Turn,
)

DESCRIPTOR_HELP = "A bracketed descriptor, e.g. [colleague] or [city in the north]."


def digest(text: str) -> str:
    """A keyed hash of an identifier, so that occurrences can be matched without storing it plain."""
    normalised = " ".join(text.casefold().split())
    return salted_hmac(
        "alliance-ta.anonymisation.entity", normalised, algorithm="sha256"
    ).hexdigest()


def clean_replacement(replacement: str) -> str:
    replacement = " ".join(replacement.split())
    if not (replacement.startswith("[") and replacement.endswith("]") and len(replacement) > 2):
        raise ValidationError(f"“{replacement}” is not bracketed. {DESCRIPTOR_HELP}")
    if len(replacement) > 80:
        raise ValidationError("A replacement has at most 80 characters.")
    return replacement


def study_detector(study: Study) -> Detector:
    """What the study looks for: its participants' real names (from the vault), its deny-list and
    the replacements it has already chosen; never what its allow-list holds."""
    identities = list(Identity.objects.filter(participant__study=study))
    audit(
        Action.VAULT_READ,
        study=study,
        details={"page": "identifier detection", "participants": len(identities)},
    )
    entries = [
        Entry(identity.real_name, "person", "[participant]", "vault")
        for identity in identities
        if identity.real_name
    ]
    listed = list(ListedIdentifier.objects.filter(study=study))
    entries += [
        Entry(item.text, item.category, item.replacement or f"[{item.category}]", "deny-list")
        for item in listed
        if item.kind == ListedIdentifier.Kind.DENY
    ]
    entries += [
        Entry(choice.entity, choice.category, choice.replacement, "decision")
        for choice in EntityReplacement.objects.filter(study=study)
    ]
    allow = [item.text for item in listed if item.kind == ListedIdentifier.Kind.ALLOW]
    ner = import_string(settings.ANONYMISATION_NER) if settings.ANONYMISATION_NER else None
    return Detector(entries, allow=allow, ner=ner)


def current_version(transcript: Transcript) -> TranscriptVersion:
    return transcript.versions.order_by("-number").first()


@transaction.atomic
def transcript_detect(*, transcript: Transcript, detector: Detector | None = None) -> int:
    """Find the candidates in the transcript's current version. Decisions already taken stay;
    new finds that overlap none of them are added, with the study's earlier replacement for the
    same entity suggested. Returns how many candidates were not there before."""
    if transcript.state != TranscriptState.REVIEW:
        raise ValidationError("Only a transcript in review is searched for identifiers.")
    version = current_version(transcript)
    detector = detector or study_detector(transcript.study)
    undecided = Candidate.objects.filter(
        version=version, status=CandidateStatus.PENDING, added_by_reviewer=False
    )
    before = set(undecided.values_list("start", "end"))
    undecided.delete()
    taken = list(Candidate.objects.filter(version=version).values_list("start", "end"))
    chosen = dict(
        EntityReplacement.objects.filter(study=transcript.study).values_list(
            "digest", "replacement"
        )
    )
    found = []
    for candidate in detector.detect(version.text):
        if any(candidate.start < end and start < candidate.end for start, end in taken):
            continue
        key = digest(candidate.entity)
        found.append(
            Candidate(
                version=version,
                start=candidate.start,
                end=candidate.end,
                text=candidate.text,
                entity_digest=key,
                category=candidate.category,
                reason=candidate.reason[:120],
                replacement=chosen.get(key, candidate.replacement),
            )
        )
    Candidate.objects.bulk_create(found)
    return len({(candidate.start, candidate.end) for candidate in found} - before)


def _require_lead(member: Membership) -> None:
    if not member.has_role(Role.LEAD):
        raise ValidationError("Anonymisation is reviewed by a lead or custodian.")


def _require(member: Membership, transcript: Transcript) -> None:
    _require_lead(member)
    if transcript.study_id != member.study_id:
        raise ValidationError("This transcript belongs to another study.")


@transaction.atomic
def candidate_decide(
    *,
    member: Membership,
    candidate: Candidate,
    status: CandidateStatus,
    replacement: str | None = None,
    everywhere: bool = False,
    request: HttpRequest | None = None,
) -> int:
    """Replace (with the given or suggested descriptor) or keep one candidate — or, `everywhere`,
    every undecided occurrence of the same entity in every transcript of the study under review.
    A replacement chosen for an entity becomes the study's replacement for it."""
    transcript = candidate.version.transcript
    _require(member, transcript)
    if transcript.state != TranscriptState.REVIEW:
        raise ValidationError("This transcript is no longer in review.")
    replacement = clean_replacement(replacement or candidate.replacement)
    now = timezone.now()
    targets = Candidate.objects.filter(pk=candidate.pk)
    if everywhere:
        targets = (
            Candidate.objects.filter(
                entity_digest=candidate.entity_digest,
                status=CandidateStatus.PENDING,
                version__transcript__study=transcript.study,
                version__transcript__state=TranscriptState.REVIEW,
                applied_at__isnull=True,
            )
            | targets
        )
    count = targets.update(
        status=status, replacement=replacement, decided_by=member.user, decided_at=now
    )
    if status == CandidateStatus.ACCEPTED:
        EntityReplacement.objects.update_or_create(
            study=transcript.study,
            digest=candidate.entity_digest,
            defaults={
                "entity": candidate.text,
                "category": candidate.category,
                "replacement": replacement,
                "decided_by": member.user,
                "decided_at": now,
            },
        )
    audit(
        Action.ANONYMISATION_DECISION,
        request=request,
        study=transcript.study,
        target=transcript,
        details={
            "decision": status,
            "category": candidate.category,
            "replacement": replacement,
            "occurrences": count,
        },
    )
    return count


@transaction.atomic
def candidate_add(
    *,
    member: Membership,
    transcript: Transcript,
    start: int,
    end: int,
    category: str,
    replacement: str,
    request: HttpRequest | None = None,
) -> Candidate:
    """A span the reviewer found that detection missed; accepted at once."""
    _require(member, transcript)
    version = current_version(transcript)
    if transcript.state != TranscriptState.REVIEW:
        raise ValidationError("This transcript is no longer in review.")
    if not 0 <= start < end <= len(version.text):
        raise ValidationError("The selected text is outside the transcript.")
    text = version.text[start:end]
    if not text.strip():
        raise ValidationError("Select some words, not only spaces.")
    if Candidate.objects.filter(version=version, start__lt=end, end__gt=start).exists():
        raise ValidationError(
            "The selection overlaps an identifier already marked: decide on that one instead."
        )
    candidate = Candidate.objects.create(
        version=version,
        start=start,
        end=end,
        text=text,
        entity_digest=digest(text),
        category=category,
        reason="marked by a reviewer",
        replacement=clean_replacement(replacement),
        status=CandidateStatus.ACCEPTED,
        added_by_reviewer=True,
        decided_by=member.user,
        decided_at=timezone.now(),
    )
    EntityReplacement.objects.update_or_create(
        study=transcript.study,
        digest=candidate.entity_digest,
        defaults={
            "entity": text,
            "category": category,
            "replacement": candidate.replacement,
            "decided_by": member.user,
        },
    )
    audit(
        Action.ANONYMISATION_DECISION,
        request=request,
        study=transcript.study,
        target=transcript,
        details={"decision": "added", "category": category, "replacement": candidate.replacement},
    )
    return candidate


def review_progress(version: TranscriptVersion) -> tuple[int, int]:
    """(decided, all) candidates of a version."""
    statuses = list(version.candidates.values_list("status", flat=True))
    return sum(status != CandidateStatus.PENDING for status in statuses), len(statuses)


@transaction.atomic
def transcript_apply(
    *, member: Membership, transcript: Transcript, request: HttpRequest | None = None
) -> TranscriptVersion:
    """The anonymised version: every accepted candidate replaced, the turns re-anchored. The text
    before it leaves the analysis tables: the first original goes to the custodians' encrypted
    copy (or is deleted, as the study chose)."""
    _require(member, transcript)
    transcript = Transcript.objects.select_for_update().get(pk=transcript.pk)
    if transcript.state != TranscriptState.REVIEW:
        raise ValidationError("This transcript is no longer in review.")
    version = current_version(transcript)
    pending = version.candidates.filter(status=CandidateStatus.PENDING).count()
    if pending:
        raise ValidationError(
            f"{pending} identifier{'s are' if pending != 1 else ' is'} still to be reviewed."
        )
    accepted = list(
        version.candidates.filter(status=CandidateStatus.ACCEPTED, applied_at__isnull=True)
    )
    if not accepted:
        raise ValidationError("Nothing is marked for replacement.")
    edits = [Edit(c.start, c.end, c.replacement) for c in accepted]
    new_text = apply_edits(version.text, edits)
    offsets = OffsetMap.from_edits(version.text, edits)
    new_version = TranscriptVersion.objects.create(
        transcript=transcript, number=version.number + 1, text=new_text
    )
    turns = list(version.turns.order_by("position"))
    mapped = offsets.map_ranges([(turn.start, turn.end) for turn in turns])
    Turn.objects.bulk_create(
        Turn(
            version=new_version,
            position=turn.position,
            speaker=turn.speaker,
            participant_id=turn.participant_id,
            start=span.start,
            end=span.end,
            started_at=turn.started_at,
            ended_at=turn.ended_at,
        )
        for turn, span in zip(turns, mapped, strict=True)
        if span is not None
    )
    Candidate.objects.filter(pk__in=[c.pk for c in accepted]).update(applied_at=timezone.now())
    # Ranges anchored in the text (codings brought in by a REFI-QDA import) move with it.
    versions.carry(version, new_version, offsets)
    if version.number == 1 and transcript.study.keep_original_text:
        OriginalText.objects.create(transcript=transcript, text=version.text)
    version.turns.all().delete()
    TranscriptVersion.objects.filter(pk=version.pk).update(
        text=""
    )  # the analysis tables keep no original
    audit(
        Action.ANONYMISATION_APPLY,
        request=request,
        study=transcript.study,
        target=transcript,
        details={"version": new_version.number, "replacements": len(edits)},
    )
    return new_version


@transaction.atomic
def transcript_sign_off(
    *,
    member: Membership,
    transcript: Transcript,
    full_read: bool,
    request: HttpRequest | None = None,
) -> Transcript:
    _require(member, transcript)
    if transcript.state != TranscriptState.REVIEW:
        raise ValidationError("This transcript has already been signed off.")
    if not full_read:
        raise ValidationError("Confirm that you have read the whole anonymised transcript.")
    version = current_version(transcript)
    if version.candidates.filter(status=CandidateStatus.PENDING).exists():
        raise ValidationError("Some identifiers are still to be reviewed.")
    if version.candidates.filter(status=CandidateStatus.ACCEPTED, applied_at__isnull=True).exists():
        raise ValidationError(
            "Make the anonymised version first: some replacements are not applied yet."
        )
    transcript.state, transcript.signed_off_by, transcript.signed_off_at = (
        TranscriptState.SIGNED_OFF,
        member.user,
        timezone.now(),
    )
    transcript.save(update_fields=["state", "signed_off_by", "signed_off_at"])
    audit(
        Action.SIGN_OFF,
        request=request,
        study=transcript.study,
        target=transcript,
        details={"version": version.number},
    )
    return transcript


@transaction.atomic
def transcript_check(
    *, member: Membership, transcript: Transcript, request: HttpRequest | None = None
) -> Transcript:
    """The optional second person's check of a signed-off transcript."""
    _require(member, transcript)
    if transcript.state != TranscriptState.SIGNED_OFF:
        raise ValidationError("Only a signed-off transcript, not yet locked, can be checked.")
    if transcript.signed_off_by_id == member.user_id:
        raise ValidationError(
            "The second check is by someone other than the person who signed off."
        )
    transcript.checked_by, transcript.checked_at = member.user, timezone.now()
    transcript.save(update_fields=["checked_by", "checked_at"])
    audit(Action.SECOND_CHECK, request=request, study=transcript.study, target=transcript)
    return transcript


@transaction.atomic
def transcript_lock(
    *, member: Membership, transcript: Transcript, request: HttpRequest | None = None
) -> Transcript:
    _require(member, transcript)
    if transcript.state != TranscriptState.SIGNED_OFF:
        raise ValidationError("A transcript is locked after its anonymisation is signed off.")
    transcript.state, transcript.locked_by, transcript.locked_at = (
        TranscriptState.LOCKED,
        member.user,
        timezone.now(),
    )
    transcript.save(update_fields=["state", "locked_by", "locked_at"])
    audit(Action.LOCK, request=request, study=transcript.study, target=transcript)
    return transcript


def search_all_queue(*, member: Membership, request: HttpRequest | None = None) -> SearchJob:
    """Queue a search of every transcript under review (after the deny- or allow-list changed)."""
    _require_lead(member)
    job = SearchJob.objects.create(study=member.study, requested_by=member.user)
    transaction.on_commit(lambda: _queue_search(job.pk))
    return job


def _queue_search(job_pk: int) -> None:
    from transcripts.tasks import search_transcripts

    search_transcripts.delay(job_pk)


def search_all(job_pk: int) -> None:
    """The task's work: claim the job, then search each transcript under review in its own
    transaction, counting progress. Running it twice repeats nothing that matters: a search
    keeps every decision and replaces only the undecided finds."""
    claimed = SearchJob.objects.filter(
        pk=job_pk, status__in=[SearchJob.Status.QUEUED, SearchJob.Status.RUNNING], attempts__lt=3
    ).update(status=SearchJob.Status.RUNNING, attempts=F("attempts") + 1, updated_at=timezone.now())
    if not claimed:
        return
    job = SearchJob.objects.select_related("study").get(pk=job_pk)
    transcripts = list(Transcript.objects.filter(study=job.study, state=TranscriptState.REVIEW))
    SearchJob.objects.filter(pk=job_pk).update(total=len(transcripts), done=0, found=0)
    detector = study_detector(job.study)
    for transcript in transcripts:
        found = transcript_detect(transcript=transcript, detector=detector)
        SearchJob.objects.filter(pk=job_pk).update(
            done=F("done") + 1, found=F("found") + found, updated_at=timezone.now()
        )
    SearchJob.objects.filter(pk=job_pk).update(
        status=SearchJob.Status.DONE, updated_at=timezone.now()
    )
