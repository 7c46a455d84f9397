"""The demo's coding: coder_a and coder_b code six locked interviews independently — four in a
closed, unblinded round and two in a round still open — with memos, journal entries and notes."""

import re

from django.utils import timezone

from coding.models import Code, CodingRound, FamiliarisationNote, JournalEntry, Memo, RoundCoder
from coding.services import code_create, coding_apply
from studies.models import Membership, Study
from transcripts.models import Transcript, TranscriptState

# Each coder's own codes, and a word that finds a sentence to code with each.
DEMO_CODES = {
    "coder_a": [
        ("trust takes time", "trust", "The client's trust is earned slowly, session by session."),
        (
            "naming the strain",
            "name",
            "Saying out loud what is happening between therapist and client.",
        ),
        ("holding the frame", "Boundaries", "Times, endings and limits offered as care."),
        (
            "difference is always there",
            "Difference",
            "Difference present in the room, named or not.",
        ),
        ("carrying the work home", "carry", "What the therapist takes home from the day."),
    ],
    "coder_b": [
        ("earning trust", "trust", "How a client comes to rely on the therapist."),
        ("repair through naming", "wrong", "Repairing a strain by acknowledging one's part in it."),
        ("boundaries as kindness", "kindness", "Limits experienced as care rather than rejection."),
        ("being seen", "seen", "Worries about being recognised, and being understood."),
        (
            "supervision as container",
            "Supervision",
            "Where the therapist brings what they cannot hold alone.",
        ),
    ],
}
SENTENCE = re.compile(r"[^.!?\n]+[.!?]")


def _sentence_with(text: str, word: str) -> tuple[int, int] | None:
    for match in SENTENCE.finditer(text):
        if word.lower() in match.group(0).lower():
            start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
            return start, match.end()
    return None


def demo_coding(study: Study) -> None:
    if Code.objects.filter(study=study).exists():
        return
    members = {
        m.user.username: m
        for m in Membership.objects.filter(study=study).select_related("user", "study")
    }
    lead = members["lead"]
    locked = list(
        Transcript.objects.filter(study=study, state=TranscriptState.LOCKED).order_by(
            "imported_at"
        )[:6]
    )
    if len(locked) < 6:
        return
    codes = {
        username: [
            code_create(member=members[username], label=label, description=definition)
            for label, _word, definition in specs
        ]
        for username, specs in DEMO_CODES.items()
    }
    for transcript in locked:
        text = transcript.versions.order_by("-number").first().text
        for username, specs in DEMO_CODES.items():
            for code, (_label, word, _definition) in zip(codes[username], specs, strict=True):
                if span := _sentence_with(text, word):
                    coding_apply(
                        member=members[username],
                        transcript=transcript,
                        start=span[0],
                        end=span[1],
                        codes=[code],
                    )

    now = timezone.now()
    closed = CodingRound.objects.create(
        study=study,
        title="Round 1: first four interviews",
        opened_by=lead.user,
        closed_by=lead.user,
        closed_at=now,
    )
    closed.transcripts.set(locked[:4])
    open_round = CodingRound.objects.create(
        study=study, title="Round 2: P5 and P6", opened_by=lead.user
    )
    open_round.transcripts.set(locked[4:6])
    for username in ("coder_a", "coder_b"):
        RoundCoder.objects.create(round=closed, coder=members[username].user, done_at=now)
        RoundCoder.objects.create(
            round=open_round,
            coder=members[username].user,
            done_at=now if username == "coder_a" else None,
        )

    first_a = codes["coder_a"][0].codings.first()
    if first_a:
        Memo.objects.create(
            study=study, author=members["coder_a"].user, coding=first_a,
            text="Trust here sounds like a decision the client makes, not a feeling that arrives.",
        )  # fmt: skip
    Memo.objects.create(
        study=study, author=members["coder_b"].user, code=codes["coder_b"][1],
        text="Close to A's 'naming the strain'? Compare when we reconcile.",
    )  # fmt: skip
    JournalEntry.objects.create(
        study=study, author=members["coder_a"].user, title="Reading my own practice into P2",
        text="I noticed I agreed too quickly with the account of endings; I end work the same way.",
    )  # fmt: skip
    JournalEntry.objects.create(
        study=study, author=members["coder_b"].user, title="After the first round", shared=True,
        text="Our codes for trust overlap more than I expected; the differences are about agency.",
    )  # fmt: skip
    FamiliarisationNote.objects.create(
        study=study, author=members["coder_a"].user,
        text="Across the dataset: the first sessions carry a lot of the alliance talk; rupture comes later.",
    )  # fmt: skip
    FamiliarisationNote.objects.create(
        study=study,
        author=lead.user,
        transcript=locked[0],
        text="Steady, careful account; the frame matters here.",
    )
