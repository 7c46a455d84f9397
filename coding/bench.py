"""The coding benchmarks: rendering a 15,000-word transcript with 1,000 codings by two coders,
and applying a code over HTTP (server time, in-process), 500 times."""

import random
import statistics
import time
import uuid

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coding.models import Code, Coding
from coding.services import code_create
from studies.bench import Options
from studies.models import Membership, Participant, Role, SourceProject, Study
from transcripts.demo import interview
from transcripts.models import Speaker, Transcript, TranscriptState, TranscriptVersion, Turn

WORDS = 15_000
CODINGS = 1_000
APPLIES = 500


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _summary(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(_percentile(ms, 0.95), 2),
        "max_ms": round(max(ms), 2),
    }


def _setup(words: int):
    """A throwaway study with two coders and one locked transcript of about `words` words."""
    User = get_user_model()
    tag = uuid.uuid4().hex[:8]
    coders = [User.objects.create(username=f"bench-{tag}-{n}") for n in ("a", "b")]
    study = Study.objects.create(slug=f"bench-{tag}", title="Benchmark", research_question="?")
    members = [
        Membership.objects.create(study=study, user=user, role=Role.CODER) for user in coders
    ]
    project = SourceProject.objects.create(study=study, name="Benchmark")
    participant = Participant.objects.create(study=study, source_project=project, pseudonym="P1")
    spoken = interview(1, words=words)
    text = "\n\n".join(turn.text for turn in spoken)
    now = timezone.now()
    transcript = Transcript.objects.create(
        study=study, participant=participant, source_project=project, title="Benchmark interview",
        format="verbatim", sha256=tag.ljust(64, "0"), imported_by=coders[0], state=TranscriptState.LOCKED,
        signed_off_by=coders[0], signed_off_at=now, locked_by=coders[0], locked_at=now,
    )  # fmt: skip
    version = TranscriptVersion.objects.create(transcript=transcript, number=1, text=text)
    turns, offset = [], 0
    for position, turn in enumerate(spoken, start=1):
        turns.append(
            Turn(
                version=version, position=position,
                speaker=Speaker.INTERVIEWER if turn.interviewer else Speaker.PARTICIPANT,
                participant=None if turn.interviewer else participant,
                start=offset, end=offset + len(turn.text),
            )
        )  # fmt: skip
        offset += len(turn.text) + 2
    Turn.objects.bulk_create(turns)
    return study, members, transcript, version


def run_coding(options: Options) -> dict:
    rng = random.Random(7)  # noqa: S311 — a fixed, fictional workload
    study, members, transcript, version = _setup(WORDS * options.scale)
    codes = {
        m.user_id: [code_create(member=m, label=f"code {n}") for n in range(15)] for m in members
    }
    length = len(version.text)
    codings = []
    for n in range(CODINGS * options.scale):
        member = members[n % 2]
        start = rng.randrange(0, length - 200)
        codings.append(
            Coding(version=version, code=rng.choice(codes[member.user_id]), coder=member.user,
                   start=start, end=start + rng.randrange(20, 200))
        )  # fmt: skip
    Coding.objects.bulk_create(codings, ignore_conflicts=True)

    client = Client(SERVER_NAME="localhost")
    client.force_login(members[0].user)
    page = reverse("coding-transcript", args=[study.slug, transcript.uuid])
    client.get(page)
    renders, queries = [], 0
    for _ in range(max(5, options.repeat * 5)):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(page)
            renders.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
        assert response.status_code == 200

    apply = reverse("coding-apply", args=[study.slug, transcript.uuid])
    mine = [str(code.uuid) for code in Code.objects.filter(study=study, created_by=members[0].user)]
    applies, ok = [], 0
    for _ in range(APPLIES):
        start = rng.randrange(0, length - 100)
        data = {"start": start, "end": start + rng.randrange(10, 100), "code": rng.choice(mine)}
        started = time.perf_counter()
        response = client.post(apply, data, HTTP_HX_REQUEST="true")
        applies.append(time.perf_counter() - started)
        ok += response.status_code == 200
    return {
        "workload": "coding",
        "backend": connection.vendor,
        "words": len(version.text.split()),
        "codings": Coding.objects.filter(version=version).count() - ok,
        "render": {**_summary(renders), "queries": queries},
        "apply": {**_summary(applies), "succeeded": ok},
    }


def report_section(results: list[dict]) -> list[str]:
    runs = [result for result in results if result["workload"] == "coding"]
    if not runs:
        return []
    lines = [
        "",
        "## Coding",
        "",
        "A locked transcript of about 15,000 words with 1,000 codings by two coders: the coding page",
        "rendered (server time through the test client, queries counted), and a code applied 500 times",
        "(the htmx request, answered with what changed: the touched turns, the count, the codes used).",
        "",
        "| backend | words | codings | render median / p95 | queries | apply median / p95 | applied |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['backend']} | {run['words']} | {run['codings']} "
            f"| {run['render']['median_ms']} / {run['render']['p95_ms']} ms | {run['render']['queries']} "
            f"| {run['apply']['median_ms']} / {run['apply']['p95_ms']} ms | {run['apply']['succeeded']} |"
        )
    return lines
