"""Generated interviews for the demo and the benchmarks: fictional, deterministic, written for
alliance-ta, and rendered in the layouts real tools export (typed .docx, Teams .vtt and .docx,
Zoom .vtt, Otter .txt)."""

import io
import random
import uuid
from dataclasses import dataclass

from django.utils import timezone
from docx import Document

from studies.demo import DEMO_PARTICIPANTS
from studies.models import Membership, Participant, Role
from transcripts import review, services
from transcripts.models import CandidateStatus, ImportJob, ListedIdentifier, Transcript

QUESTIONS = [
    "Could you start by telling me how you came to practise as a therapist?",
    "What happens in the first few sessions with a new client?",
    "How do you know when the two of you are working together?",
    "How do you hold the frame, the times and the boundaries, with someone?",
    "Can you think of a time when the relationship felt strained?",
    "What did you notice first, when that happened?",
    "How do differences between you and a client come into the room?",
    "What does this work leave you carrying, at the end of a day?",
    "Where do you take that, supervision or elsewhere?",
    "Is there anything we have not touched on that matters to you?",
]
PROMPTS = [
    "Can you say more about that?",
    "What was that like for you?",
    "How did the client respond?",
    "And what did you do next?",
    "Mm. Go on.",
]
ANSWERS = [
    "I came to it quite late, really, after years of working in schools, and I think that shaped how I listen.",
    "The first sessions are mostly about whether they can trust me enough to come back the following week.",
    "I try not to rush the story. People arrive with a version they have told many times before.",
    "There is a moment, it is hard to name, when they stop performing for me and start thinking out loud.",
    "Boundaries are a kindness, I think, even when a client experiences them as a rejection at first.",
    "We had agreed on fifty minutes, and she kept leaving the most important thing to the last five.",
    "I noticed my own irritation before I noticed anything in him, and that was the clue.",
    "I named it, carefully. I said something like, I wonder if I got that wrong last week.",
    "He went quiet for a long time, and then he said nobody had ever asked him that before.",
    "Difference is always in the room, in some way, even when neither of us says it out loud.",
    "Sometimes the client is checking whether I can bear to hear about a world I do not live in.",
    "I am older than most of my clients now, and that changes what they expect of me [laughs].",
    "Working online changed things. You lose the walk to the door, the small talk on the stairs.",
    "There are weeks when I carry a client home with me, and I have learnt to notice that earlier.",
    "Supervision is where I can say the thing I am slightly ashamed of thinking.",
    "A rupture, if it is repaired, can leave the relationship stronger than it was before.",
    "I used to think my job was to fix things. Now I think it is mostly to stay.",
    "Clients who have had a bad experience of therapy before test the edges much more.",
    "She said, you are just like the last one, and I had to sit with that rather than defend myself.",
    "I do not always get it right. I think clients can tell when you are genuinely willing to be wrong.",
    "The contract matters less than the feeling that someone is reliably there, every week.",
    "Silence used to frighten me. Now I find it is often where the work happens.",
    "My training was integrative, so I borrow, but the relationship is the thing I trust most.",
    "Cancellations tell you something too, if you are willing to be curious about them.",
    "I think anxiety in the room is contagious, in both directions, and you have to regulate yourself first.",
    "There was a point when I nearly ended the work, and I am glad now that we did not.",
    "Being from the same area as a client can help, but it can also make them worry about being seen.",
    "I try to say out loud what I think is happening between us, rather than guess in silence.",
    "It is tiring work, honestly. Rewarding, but tiring, and I have to protect my evenings.",
    "When it goes well, the client starts to do for themselves what we did together in the room.",
]


@dataclass(frozen=True)
class Spoken:
    interviewer: bool
    text: str
    start: float
    end: float


MENTIONS = [
    "My supervisor then, {colleague}, said something I still hold on to.",
    "I trained at {place}, and a lot of my habits come from there.",
    "When I worked at {organisation} the waiting lists shaped everything.",
]
COLLEAGUES = ["Dr Marguerite Oyelaran", "Tobias Fenwick", "Dr Ines Albrecht"]
PLACES = ["Harrowgate Lane Clinic", "the Kestrel Institute"]
ORGANISATIONS = ["Northvale Community Trust", "Brightwater Counselling"]


def interview(seed: int, *, words: int = 1200, name: str = "") -> list[Spoken]:
    """A fictional interview of about `words` words, the same for the same seed. Given a name, the
    interviewer greets the participant by it and the participant mentions a colleague, a place or
    an organisation, as real interviews do — the identifiers anonymisation has to find."""
    rng = random.Random(seed)  # noqa: S311 — fictional text, not secrets
    turns, clock, count, question = [], 2.0, 0, 0
    if name:
        first = name.split()[0]
        mention = rng.choice(MENTIONS).format(
            colleague=rng.choice(COLLEAGUES),
            place=rng.choice(PLACES),
            organisation=rng.choice(ORGANISATIONS),
        )
        turns.append(
            Spoken(True, f"Thank you for making the time, {first}. Shall we begin?", 0.5, 3.0)
        )
        turns.append(Spoken(False, f"Yes, of course. {mention}", 3.5, 8.0))
        clock = 9.0
    while count < words:
        if question < len(QUESTIONS) and (not turns or rng.random() < 0.35):
            asked = QUESTIONS[question]
            question += 1
        else:
            asked = rng.choice(PROMPTS)
        answer = " ".join(rng.sample(ANSWERS, rng.randint(2, 6)))
        for interviewer, text in ((True, asked), (False, answer)):
            length = len(text.split())
            turns.append(Spoken(interviewer, text, round(clock, 3), round(clock + length * 0.4, 3)))
            clock += length * 0.4 + rng.uniform(0.3, 1.5)
            count += length
    return turns


def _clock(seconds: float, *, hours: bool = True) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hour, minutes = divmod(minutes, 60)
    return f"{hour}:{minutes:02d}:{secs:02d}" if hours or hour else f"{minutes}:{secs:02d}"


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def _docx(paragraphs: list[str]) -> bytes:
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def as_verbatim_docx(
    turns: list[Spoken], *, interviewer: str, participant: str, title: str
) -> bytes:
    return _docx(
        [title, ""] + [f"{interviewer if t.interviewer else participant}: {t.text}" for t in turns]
    )


def as_verbatim_txt(turns: list[Spoken], *, interviewer: str, participant: str) -> bytes:
    lines = [f"{interviewer if t.interviewer else participant}: {t.text}\r\n" for t in turns]
    return ("\ufeff" + "\r\n".join(lines)).encode()


def _cues(turns: list[Spoken]):
    """Each turn cut into cues of at most 14 words, as captioning tools do."""
    for turn in turns:
        words = turn.text.split()
        pieces = [words[i : i + 14] for i in range(0, len(words), 14)]
        span = (turn.end - turn.start) / len(pieces)
        for n, piece in enumerate(pieces):
            yield turn, " ".join(piece), turn.start + n * span, turn.start + (n + 1) * span


def as_teams_vtt(turns: list[Spoken], *, interviewer: str, participant: str, seed: int) -> bytes:
    meeting = uuid.UUID(int=random.Random(seed).getrandbits(128))  # noqa: S311 — a made-up meeting id
    lines = ["WEBVTT", ""]
    for n, (turn, text, start, end) in enumerate(_cues(turns)):
        name = interviewer if turn.interviewer else participant
        lines += [
            f"{meeting}/{n + 10}-0",
            f"{_vtt_time(start)} --> {_vtt_time(end)}",
            f"<v {name}>{text}</v>",
            "",
        ]
    return "\n".join(lines).encode()


def as_zoom_vtt(turns: list[Spoken], *, interviewer: str, participant: str) -> bytes:
    lines = ["WEBVTT", ""]
    for n, (turn, text, start, end) in enumerate(_cues(turns), start=1):
        name = interviewer if turn.interviewer else participant
        lines += [str(n), f"{_vtt_time(start)} --> {_vtt_time(end)}", f"{name}: {text}", ""]
    return "\n".join(lines).encode()


def as_otter_txt(turns: list[Spoken], *, interviewer: str, participant: str) -> bytes:
    lines = []
    for turn in turns:
        name = interviewer if turn.interviewer else participant
        lines += [f"{name}  {_clock(turn.start, hours=False)}", turn.text, ""]
    lines.append("Transcribed by https://otter.ai")
    return "\n".join(lines).encode()


def as_teams_docx(turns: list[Spoken], *, interviewer: str, participant: str, title: str) -> bytes:
    duration = int(turns[-1].end)
    paragraphs = [title, "12 March 2026, 10:02", f"{duration // 60}m {duration % 60}s", ""]
    paragraphs.append(f"{interviewer} started transcription")
    for turn in turns:
        name = interviewer if turn.interviewer else participant
        paragraphs += [f"{name}   {_clock(turn.start, hours=False)}", turn.text]
    paragraphs.append(f"{interviewer} stopped transcription")
    return _docx(paragraphs)


DEMO_INTERVIEWER = "Rowan Ellis"
LAYOUTS = ("typed.docx", "teams.vtt", "zoom.vtt", "otter.txt", "teams.docx")


def demo_file(n: int, pseudonym: str, name: str, *, words: int = 1200) -> tuple[str, bytes]:
    """The n-th demo interview as a file, in the n-th of the usual layouts: typed transcripts
    label speakers by pseudonym; the tools' exports show the people's display names."""
    turns = interview(n, words=words, name=name)
    layout = LAYOUTS[(n - 1) % len(LAYOUTS)]
    names = {"interviewer": DEMO_INTERVIEWER, "participant": name}
    if layout == "typed.docx":
        content = as_verbatim_docx(
            turns, interviewer="Interviewer", participant=pseudonym, title=f"Interview {pseudonym}"
        )
    elif layout == "teams.vtt":
        content = as_teams_vtt(turns, **names, seed=n)
    elif layout == "zoom.vtt":
        content = as_zoom_vtt(turns, **names)
    elif layout == "otter.txt":
        content = as_otter_txt(turns, **names)
    else:
        content = as_teams_docx(turns, **names, title="Alliance study interview")
    return f"{pseudonym} {layout}", content


DEMO_DENY = (
    [(name, "person", "[colleague]") for name in COLLEAGUES]
    + [(name, "place", "[training institute]") for name in PLACES]
    + [(name, "organisation", "[service provider]") for name in ORGANISATIONS]
)
DEMO_ALLOW = ["CBT", "NHS", "Teams", "Zoom"]
DEMO_LEFT_IN_REVIEW = {"P13", "P14"}


def demo_transcripts(study) -> None:
    """An interview for each demo participant, as a file of one of the usual layouts, imported
    through the pipeline (a participant who already has a transcript is left as it is); then
    anonymised, signed off and locked, except two left in review for the workspace."""
    member = (
        Membership.objects.filter(study=study, role=Role.CUSTODIAN)
        .select_related("user", "study")
        .first()
    )
    names = {pseudonym: name for pseudonym, *_rest, name in DEMO_PARTICIPANTS}
    _demo_lists(study, member.user)
    done = set(
        Transcript.objects.filter(study=study).values_list("participant__pseudonym", flat=True)
    )
    for n, participant in enumerate(
        Participant.objects.filter(study=study, withdrawn_at=None), start=1
    ):
        pseudonym = participant.pseudonym
        if pseudonym in done or pseudonym not in names:
            continue
        filename, content = demo_file(n, pseudonym, names[pseudonym])
        (job,) = services.jobs_create(
            member=member,
            uploads=[services.Upload(filename, content)],
            participant=participant,
            speaker_map={DEMO_INTERVIEWER: "Interviewer", names[pseudonym]: pseudonym},
            user=member.user,
            queue_jobs=False,
        )
        services.job_process(job.pk)
        transcript = Transcript.objects.get(pk=ImportJob.objects.get(pk=job.pk).transcript_id)
        if pseudonym not in DEMO_LEFT_IN_REVIEW:
            _demo_review(member, transcript)


def _demo_lists(study, user) -> None:
    existing = {(item.kind, item.text) for item in ListedIdentifier.objects.filter(study=study)}
    for text, category, replacement in DEMO_DENY:
        if ("deny", text) not in existing:
            ListedIdentifier.objects.create(
                study=study,
                kind="deny",
                text=text,
                digest=review.digest(text),
                category=category,
                replacement=replacement,
                added_by=user,
            )
    for text in DEMO_ALLOW:
        if ("allow", text) not in existing:
            ListedIdentifier.objects.create(
                study=study, kind="allow", text=text, digest=review.digest(text), added_by=user
            )


def _demo_review(member, transcript) -> None:
    """Every candidate replaced as suggested, the anonymised version made, signed off and locked."""
    version = review.current_version(transcript)
    version.candidates.filter(status=CandidateStatus.PENDING).update(
        status=CandidateStatus.ACCEPTED, decided_by=member.user, decided_at=timezone.now()
    )
    if version.candidates.filter(status=CandidateStatus.ACCEPTED, applied_at__isnull=True).exists():
        review.transcript_apply(member=member, transcript=transcript)
    review.transcript_sign_off(member=member, transcript=transcript, full_read=True)
    review.transcript_lock(member=member, transcript=transcript)
