"""The retrieval benchmark: one code's extracts, in context, across a large study — 50 locked
transcripts of about 9,500 words with 10,000 codings by two coders over 300 codes, one of which
has 2,622 extracts. Measured over HTTP (server time, in-process) as a coder: the code-and-retrieve
page's first page, and every page of the big code in turn; and, since the product shows no more
than a page at a time, the service functions reading all 2,622 extracts with context in one call.

At --scale N the study has N times the transcripts and codings, while the big code keeps its
2,622 extracts: retrieval should grow with the size of the result only."""

import math
import random
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coding.bench import _setup, _summary
from coding.models import Code, Coding
from coding.retrieve import code_extracts, in_context
from coding.views_retrieve import PAGE_SIZE
from studies.bench import Options
from studies.models import Membership, Participant, Study
from transcripts.demo import interview
from transcripts.models import Speaker, Transcript, TranscriptVersion, Turn

TRANSCRIPTS = 50
WORDS = 9_500
CODINGS = 10_000
CODES = 300
EXTRACTS = 2_622  # of the big code, at every scale


def _more_transcripts(
    study: Study, transcript: Transcript, count: int, words: int
) -> list[TranscriptVersion]:
    """`count` more locked transcripts like `transcript` (from coding.bench._setup), each with a
    participant of its own, made in bulk."""
    now = timezone.now()
    coder = transcript.imported_by
    participants = Participant.objects.bulk_create(
        Participant(study=study, source_project=transcript.source_project, pseudonym=f"P{n}")
        for n in range(2, count + 2)
    )
    transcripts = Transcript.objects.bulk_create(
        Transcript(
            study=study, participant=participant, source_project=transcript.source_project,
            title=f"Benchmark interview {participant.pseudonym}", format="verbatim",
            sha256=f"{transcript.sha256[:8]}{n:056d}", imported_by=coder,
            state=Transcript.State.LOCKED, signed_off_by=coder, signed_off_at=now,
            locked_by=coder, locked_at=now,
        )
        for n, participant in enumerate(participants, start=1)
    )  # fmt: skip
    spoken = {t.pk: interview(n, words=words) for n, t in enumerate(transcripts, start=2)}
    versions = TranscriptVersion.objects.bulk_create(
        TranscriptVersion(transcript=t, number=1, text="\n\n".join(s.text for s in spoken[t.pk]))
        for t in transcripts
    )
    turns = []
    for version, participant in zip(versions, participants, strict=True):
        offset = 0
        for position, turn in enumerate(spoken[version.transcript_id], start=1):
            turns.append(
                Turn(
                    version=version, position=position,
                    speaker=Speaker.INTERVIEWER if turn.interviewer else Speaker.PARTICIPANT,
                    participant=None if turn.interviewer else participant,
                    start=offset, end=offset + len(turn.text),
                )
            )  # fmt: skip
            offset += len(turn.text) + 2
    Turn.objects.bulk_create(turns, batch_size=5_000)
    return versions


def _codings(
    rng: random.Random,
    versions: list[TranscriptVersion],
    members: list[Membership],
    big: Code,
    others: list[Code],
    total: int,
) -> list[Coding]:
    """`total` distinct codings, EXTRACTS of them of `big`, the coders taking turns; each a
    passage of 20 to 300 characters somewhere in a random transcript."""
    lengths = {version.pk: len(version.text) for version in versions}
    seen, codings = set(), []
    while len(codings) < total:
        member = members[len(codings) % 2]
        code = big if len(codings) < EXTRACTS else rng.choice(others)
        version = rng.choice(versions)
        start = rng.randrange(0, lengths[version.pk] - 300)
        end = start + rng.randrange(20, 300)
        key = (version.pk, code.pk, member.user_id, start, end)
        if key not in seen:
            seen.add(key)
            codings.append(
                Coding(version=version, code=code, coder=member.user, start=start, end=end)
            )
    return codings


def _build(scale: int) -> tuple[Study, list[Membership], list[TranscriptVersion], Code]:
    rng = random.Random(11)  # noqa: S311 — a fixed, fictional workload
    study, members, transcript, version = _setup(WORDS)
    versions = [version, *_more_transcripts(study, transcript, TRANSCRIPTS * scale - 1, WORDS)]
    codes = Code.objects.bulk_create(
        Code(study=study, label=f"code {n}", created_by=members[n % 2].user) for n in range(CODES)
    )
    big, others = codes[0], codes[1:]
    codings = _codings(rng, versions, members, big, others, CODINGS * scale)
    Coding.objects.bulk_create(codings, batch_size=5_000)
    return study, members, versions, big


def run_retrieve(options: Options) -> dict:
    started = time.perf_counter()
    study, members, versions, big = _build(options.scale)
    setup = time.perf_counter() - started
    member = members[0]

    client = Client(SERVER_NAME="localhost")
    client.force_login(member.user)
    url = reverse("coding-retrieve", args=[study.slug, big.uuid])
    pages = math.ceil(EXTRACTS / PAGE_SIZE)
    client.get(url)

    firsts, first_queries = [], 0
    for _ in range(max(10, options.repeat * 10)):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            firsts.append(time.perf_counter() - started)
        first_queries = len(captured.captured_queries)
        assert response.status_code == 200
        assert f"{EXTRACTS} extracts, 1–{PAGE_SIZE} shown" in response.text

    walks, each_page, later_queries = [], [], 0
    for _ in range(options.repeat):
        walk = 0.0
        for number in range(1, pages + 1):
            # The first page is the whole page; the others come as htmx asks for them.
            headers = {"HX-Request": "true"} if number > 1 else {}
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, {"page": number}, headers=headers)
                seconds = time.perf_counter() - started
            assert response.status_code == 200
            walk += seconds
            each_page.append(seconds)
            later_queries = max(later_queries, len(captured.captured_queries))
        walks.append(walk)
    assert f"{(pages - 1) * PAGE_SIZE + 1}–{EXTRACTS} shown" in response.text

    in_one_call = []
    for _ in range(max(3, options.repeat)):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            codings = code_extracts(member=member, code=big)
            rows = in_context(member=member, codings=list(codings.values_list("pk", flat=True)))
            in_one_call.append(time.perf_counter() - started)
        read = len(rows)
        service_queries = len(captured.captured_queries)
    assert read == EXTRACTS

    return {
        "workload": "retrieve",
        "backend": connection.vendor,
        "scale": options.scale,
        "transcripts": len(versions),
        "words": round(statistics.mean(len(version.text.split()) for version in versions)),
        "codings": Coding.objects.filter(version__transcript__study=study).count(),
        "codes": CODES,
        "extracts": EXTRACTS,
        "setup_s": round(setup, 1),
        "first_page": {**_summary(firsts), "queries": first_queries},
        "every_page": {
            "pages": pages,
            **_summary(walks),
            "page_median_ms": _summary(each_page)["median_ms"],
            "page_p95_ms": _summary(each_page)["p95_ms"],
            "queries_per_page": later_queries,
        },
        "all_in_one_call": {**_summary(in_one_call), "queries": service_queries},
    }


def report_section(results: list[dict]) -> list[str]:
    runs = [result for result in results if result["workload"] == "retrieve"]
    if not runs:
        return []
    lines = [
        "",
        "## Retrieval",
        "",
        "One code's extracts with their context, across 50 locked transcripts of about 9,500 words",
        "with 10,000 codings by two coders over 300 codes (at 10×: 500 transcripts and 100,000",
        "codings), as a coder through the test client (server time). The big code has 2,622",
        "extracts at every scale. The product shows fifty to a page, so reading all of them is",
        "timed twice: every page in turn over HTTP (the first whole, the others as htmx asks for",
        "them), and the service functions (`code_extracts` + `in_context`) reading all 2,622 with",
        "context in one call. Goals: first page ≤ 50 ms; all 2,622 ≤ 500 ms.",
        "",
        "| backend | scale | transcripts | codings | first page median / p95 | queries "
        f"| any page median / p95 | all {runs[0]['every_page']['pages']} pages in turn "
        "| all in one call |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        first, walk, call = run["first_page"], run["every_page"], run["all_in_one_call"]
        lines.append(
            f"| {run['backend']} | {run['scale']}× | {run['transcripts']} | {run['codings']} "
            f"| {first['median_ms']} / {first['p95_ms']} ms | {first['queries']} "
            f"| {walk['page_median_ms']} / {walk['page_p95_ms']} ms | {walk['median_ms']} ms "
            f"| {call['median_ms']} ms |"
        )
    for backend in dict.fromkeys(run["backend"] for run in runs):
        first = {r["scale"]: r["first_page"]["median_ms"] for r in runs if r["backend"] == backend}
        if 1 in first and len(first) > 1:
            scale = max(first)
            lines += [
                "",
                f"On {backend} the first page takes {first[scale] / first[1]:.2f}× as long at "
                f"{scale}× the study as at 1× (flat would be 1.00×: the result is the same size).",
            ]
    return lines
