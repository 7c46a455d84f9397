"""The exchange benchmarks.

`interchange`: the 14-transcript study of PERFORMANCE.md — 14 locked, generated interviews of
about 9,500 words, two coders, 300 codes (30 of them parents of the others), about 4,000 codings
(the agreement workload's: coder B copies most of coder A's passages, boundaries moved a little),
memos on codes, codings and transcripts, and participants in two source projects with three
attributes. Timed: the coded-extracts export as CSV and as .xlsx (over HTTP through the test
client, the whole file read; rows per second), the REFI-QDA export (`exchange.qdpx.export.
export_study`: the .qdpx made, checked against the schema and audited) and the import of that
very file into a fresh study. Goals: export and import ≤ 2 s each.

`docx`: the large study — 50 transcripts with 10,000 codings by two coders over 300 codes
(`coding.bench_retrieve`'s) — with six themes of 50 codes each and every coding chosen as an
illustrative extract of the theme its code is in (10,000 ReportExtract rows), every participant
consenting to quotation. Timed: the report as .docx with all 10,000 extracts (goal ≤ 5 s;
Taguette takes about 71 s to export its 10,000 highlights as .docx), and the extracts export of
the 10,000 codings as CSV and .xlsx.

--scale N multiplies the transcripts and codings (and so the extracts); medians of --repeat."""

import random
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coding.bench import _setup
from coding.bench_agreement import workload
from coding.bench_retrieve import _build, _more_transcripts
from coding.models import Code, Coding, Memo
from exchange.models import ReportExtract
from studies.bench import Options
from studies.models import (
    AttributeDefinition,
    AttributeValue,
    ConsentRecord,
    Membership,
    Participant,
    Role,
    SourceProject,
    Study,
)
from themes.models import Theme, ThemeCode
from transcripts.models import Transcript, TranscriptVersion

TRANSCRIPTS = 14
WORDS = 9_500
CODES = 300
PARENTS = 30  # codes that are parents of nine others each
CODE_MEMOS = 100
CODING_MEMOS = 400
THEMES = 6
PROFESSIONS = ["nurse", "psychologist", "psychiatrist", "social worker"]
SETTINGS = ["community", "inpatient", "private practice"]


# The 14-transcript study --------------------------------------------------------------------


def _attributes(study: Study, participants: list[Participant]) -> None:
    """Three attributes, a value of each for every participant; half the participants (and
    their transcripts) in a second source project."""
    rng = random.Random(5)  # noqa: S311 — a fixed, fictional workload
    profession, years, setting = AttributeDefinition.objects.bulk_create(
        [
            AttributeDefinition(study=study, name="Profession", kind="choice",
                                choices=PROFESSIONS, position=1),
            AttributeDefinition(study=study, name="Years in practice", kind="integer",
                                position=2),
            AttributeDefinition(study=study, name="Setting", kind="choice", choices=SETTINGS,
                                position=3),
        ]
    )  # fmt: skip
    AttributeValue.objects.bulk_create(
        AttributeValue(participant=participant, attribute=attribute, value=value)
        for participant in participants
        for attribute, value in (
            (profession, rng.choice(PROFESSIONS)),
            (years, str(rng.randrange(1, 35))),
            (setting, rng.choice(SETTINGS)),
        )
    )
    second = SourceProject.objects.create(study=study, name="Second site")
    moved = [p.pk for p in participants[1::2]]
    Participant.objects.filter(pk__in=moved).update(source_project=second)
    Transcript.objects.filter(participant__in=moved).update(source_project=second)


def interchange_study(scale: int = 1) -> tuple[Study, list[Membership]]:
    """The 14-transcript study (times `scale`), made in bulk; its first member is a lead."""
    _turns, spans = workload(scale)  # the agreement benchmark's codings, on the same texts
    study, members, transcript, version = _setup(WORDS)
    versions = [version, *_more_transcripts(study, transcript, TRANSCRIPTS * scale - 1, WORDS)]
    Membership.objects.filter(pk=members[0].pk).update(role=Role.LEAD)
    members[0].role = Role.LEAD
    participants = list(Participant.objects.filter(study=study).order_by("pk"))
    _attributes(study, participants)
    users = {"A": members[0].user, "B": members[1].user}
    codes = Code.objects.bulk_create(
        Code(study=study, label=f"code {n:03d}", description=f"What code {n} is about.",
             created_by=users["A" if n % 2 == 0 else "B"])
        for n in range(CODES)
    )  # fmt: skip
    for n, code in enumerate(codes[PARENTS:]):
        code.parent = codes[n % PARENTS]
    Code.objects.bulk_update(codes[PARENTS:], ["parent"])
    codings = {
        (s.transcript, s.code, s.coder, s.start, s.end): Coding(
            version=versions[s.transcript], code=codes[s.code], coder=users[s.coder],
            start=s.start, end=s.end,
        )
        for s in spans
        # As in the product (coding_apply), a coding holds some words, never only spaces.
        if versions[s.transcript].text[s.start : s.end].strip()
    }  # fmt: skip
    codings = Coding.objects.bulk_create(codings.values(), batch_size=5_000)
    memos = [
        Memo(study=study, author=code.created_by, code=code, text=f"Memo on {code.label}.")
        for code in codes[:CODE_MEMOS]
    ]
    memos += [
        Memo(study=study, author=coding.coder, coding=coding, text="Why this passage.")
        for coding in codings[: CODING_MEMOS * scale]
    ]
    memos += [
        Memo(study=study, author=users["A"], transcript_id=v.transcript_id, text="First reading.")
        for v in versions
    ]
    Memo.objects.bulk_create(memos, batch_size=5_000)
    return study, members


# The large study, with its report ----------------------------------------------------------


def report_study(scale: int = 1) -> tuple[Study, list[Membership], int]:
    """coding.bench_retrieve's large study, six themes of 50 codes each, every coding chosen as
    an extract of its code's theme, and every participant consenting to quotation."""
    study, members, versions, _big = _build(scale)
    Membership.objects.filter(pk=members[0].pk).update(role=Role.LEAD)
    members[0].role = Role.LEAD
    lead = members[0].user
    now = timezone.now()
    themes = Theme.objects.bulk_create(
        Theme(study=study, name=f"Theme {n + 1}", central_concept=f"What holds theme {n + 1}.",
              definition=f"The scope of theme {n + 1}.", boundaries="What it is not.",
              status=Theme.Status.FINAL, position=n, created_by=lead)
        for n in range(THEMES)
    )  # fmt: skip
    codes = list(Code.objects.filter(study=study).order_by("pk"))
    theme_of = {code.pk: themes[n % THEMES] for n, code in enumerate(codes)}
    ThemeCode.objects.bulk_create(
        ThemeCode(theme=theme_of[code.pk], code=code, position=n, added_by=lead)
        for n, code in enumerate(codes)
    )
    texts = dict(
        TranscriptVersion.objects.filter(transcript__study=study).values_list("pk", "text")
    )
    codings = Coding.objects.filter(version__transcript__study=study).order_by(
        "version__transcript__participant__created_at", "version_id", "start", "pk"
    )
    positions: dict[int, int] = {}
    extracts = []
    for coding in codings.only("pk", "code_id", "version_id", "start", "end"):
        theme = theme_of[coding.code_id]
        positions[theme.pk] = positions.get(theme.pk, -1) + 1
        extracts.append(
            ReportExtract(theme=theme, coding=coding, position=positions[theme.pk],
                          words=texts[coding.version_id][coding.start : coding.end],
                          chosen_by=lead, chosen_at=now)
        )  # fmt: skip
    ReportExtract.objects.bulk_create(extracts, batch_size=5_000)
    ConsentRecord.objects.bulk_create(
        ConsentRecord(participant=participant, method=ConsentRecord.Method.WRITTEN,
                      consented_on=now.date(), recording=True, verbatim_quotation=True,
                      archiving=True, secondary_use=False, future_contact=False,
                      recorded_by=lead)
        for participant in Participant.objects.filter(study=study)
    )  # fmt: skip
    return study, members, len(extracts)


# Timing -------------------------------------------------------------------------------------


def _median_s(times: list[float]) -> float:
    return round(statistics.median(times), 3)


def _timed(run: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return times, result


def _extracts_download(client: Client, study: Study, fmt: str, repeat: int) -> dict:
    """The extracts export over HTTP, the whole file read; server time, rows per second."""
    url = reverse(f"exchange-extracts-{fmt}", args=[study.slug])
    times, size, queries = [], 0, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            content = b"".join(response.streaming_content)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200
        size, queries = len(content), len(captured.captured_queries)
    rows = Coding.objects.filter(version__transcript__study=study).count()
    seconds = statistics.median(times)
    return {
        "rows": rows,
        "median_s": _median_s(times),
        "min_s": round(min(times), 3),
        "rows_per_s": round(rows / seconds),
        "bytes": size,
        "queries": queries,
    }


def _client(member: Membership) -> Client:
    client = Client(SERVER_NAME="localhost")
    client.force_login(member.user)
    # The first request after logging in saves the session: not part of what is timed.
    assert client.get(reverse("study-home", args=[member.study.slug])).status_code == 200
    return client


def _missing(module: str) -> str | None:
    """Why a module under test cannot be timed (it is still being written), or None."""
    try:
        __import__(module)
    except ImportError as error:
        return f"{module}: {error}"
    return None


def run_interchange(options: Options) -> dict:
    started = time.perf_counter()
    study, members = interchange_study(options.scale)
    setup = time.perf_counter() - started
    lead = members[0]
    client = _client(lead)
    result = {
        "workload": "interchange",
        "backend": connection.vendor,
        "scale": options.scale,
        "repeat": options.repeat,
        "transcripts": TRANSCRIPTS * options.scale,
        "words": round(
            statistics.mean(
                len(text.split())
                for text in TranscriptVersion.objects.filter(transcript__study=study).values_list(
                    "text", flat=True
                )
            )
        ),
        "codes": CODES,
        "codings": Coding.objects.filter(version__transcript__study=study).count(),
        "memos": Memo.objects.filter(study=study).count(),
        "setup_s": round(setup, 1),
        "extracts_csv": _extracts_download(client, study, "csv", options.repeat),
        "extracts_xlsx": _extracts_download(client, study, "xlsx", options.repeat),
        "missing": [],
    }
    problem = _missing("exchange.qdpx.export")
    if problem:
        result["missing"].append(problem)
        return result
    from exchange.qdpx.export import export_study

    with CaptureQueriesContext(connection) as captured:
        times, export = _timed(lambda: export_study(lead), options.repeat)
    result["qdpx_export"] = {
        "median_s": _median_s(times),
        "min_s": round(min(times), 3),
        "queries": len(captured.captured_queries) // options.repeat,
        "bytes": len(export.content),
        **export.summary.counts(),
    }
    problem = _missing("exchange.qdpx.importer")
    if problem:
        result["missing"].append(problem)
        return result
    result["qdpx_import"] = _import(export.content, lead.user, options.repeat)
    return result


def run_docx(options: Options) -> dict:
    started = time.perf_counter()
    study, members, extracts = report_study(options.scale)
    setup = time.perf_counter() - started
    lead = members[0]
    client = _client(lead)
    result = {
        "workload": "docx",
        "backend": connection.vendor,
        "scale": options.scale,
        "repeat": options.repeat,
        "transcripts": Transcript.objects.filter(study=study).count(),
        "codings": Coding.objects.filter(version__transcript__study=study).count(),
        "themes": THEMES,
        "extracts": extracts,
        "setup_s": round(setup, 1),
        "extracts_csv": _extracts_download(client, study, "csv", options.repeat),
        "extracts_xlsx": _extracts_download(client, study, "xlsx", options.repeat),
        "missing": [],
    }
    problem = _missing("exchange.docx_report")
    if problem:
        result["missing"].append(problem)
        return result
    result["docx"] = _docx(lead, options.repeat)
    return result


# The report section ---------------------------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _lines(run: dict) -> list[tuple[str, str, dict | None, str, str]]:
    """(what, size, figures, throughput, goal) for each timing of one run."""
    rows = []
    at_1x = run["scale"] == 1  # the goals are set for the standard workloads
    where = f"{run['transcripts']} transcripts"
    if run["workload"] == "interchange":
        export, imported = run.get("qdpx_export"), run.get("qdpx_import")
        if export:
            rows.append(
                (f"REFI-QDA export ({where})",
                 f"{export['codings']:,} codings, {export['notes']} memos → {_mb(export['bytes'])}",
                 export, "", "≤ 2 s" if at_1x else "")
            )  # fmt: skip
        if imported:
            rows.append(
                ("REFI-QDA import of that file into a fresh study",
                 f"{imported['codings']:,} codings, {imported['transcripts']} transcripts",
                 imported, "", "≤ 2 s" if at_1x else "")
            )  # fmt: skip
    else:
        docx = run.get("docx")
        if docx:
            rows.append(
                (f"report .docx ({run['themes']} themes)",
                 f"{docx['extracts']:,} extracts → {_mb(docx['bytes'])}",
                 docx, f"{docx['extracts'] / docx['median_s']:,.0f} extracts/s",
                 "≤ 5 s (Taguette ≈ 71 s)" if at_1x else "")
            )  # fmt: skip
    for fmt in ("csv", "xlsx"):
        figures = run[f"extracts_{fmt}"]
        rows.append(
            (f"extracts .{fmt} over HTTP ({where})",
             f"{figures['rows']:,} rows → {_mb(figures['bytes'])}", figures,
             f"{figures['rows_per_s']:,} rows/s", "")
        )  # fmt: skip
    return rows


def report_section(results: list[dict]) -> list[str]:
    runs = [r for r in results if r["workload"] in {"interchange", "docx"}]
    if not runs:
        return []
    lines = [
        "",
        "## Exchange",
        "",
        "The 14-transcript study (14 generated interviews of about 9,500 words, two coders, 300",
        "codes of which 30 are parents of the others, about 4,000 codings, about 500 memos, 14",
        "participants with three attributes in two source projects): the REFI-QDA export",
        "(`exchange.qdpx.export.export_study`: read under the blind rule, checked against the",
        "official schema, zipped and audited) and the import of that very file into a fresh study",
        "(`exchange.qdpx.importer.qdpx_import`: the file's safety checks, transcripts into",
        "anonymisation review with identifier detection run, turns, participants, attributes,",
        "coder layers, codes, codings and memos, in one transaction); goals ≤ 2 s each. The large",
        "study (50 transcripts, 10,000 codings by two coders over 300 codes) with six themes of 50",
        "codes and every coding chosen as an illustrative extract: the report as .docx with all",
        "10,000 quotes (`exchange.docx_report.report_docx`: the consent guard's vault read, the",
        "verbatim check, Table 4, the map as a picture, the methods scaffold); goal ≤ 5 s, where",
        "Taguette 1.5.2 takes about 71 s to export its 10,000 highlights as .docx. Both studies'",
        "coded extracts as CSV (streamed) and .xlsx (openpyxl's write-only mode), downloaded",
        "through the test client with the whole file read (server time; the queries are the same",
        "at any size). Medians of the runs, the fastest in brackets. At 10× the study has ten",
        "times the transcripts and codings: time should grow linearly, and no more.",
        "",
        "| backend | scale | what | size | median (min) | throughput | queries | goal |",
        "|---|---|---|---|---|---|---|---|",
    ]
    missing = []
    for run in runs:
        for what, size, figures, throughput, goal in _lines(run):
            queries = figures.get("queries", "")
            lines.append(
                f"| {run['backend']} | {run['scale']}× | {what} | {size} "
                f"| {figures['median_s']} s ({figures['min_s']} s) | {throughput} | {queries} "
                f"| {goal} |"
            )
        missing += run.get("missing", [])
    for backend in dict.fromkeys(run["backend"] for run in runs):
        by_scale = {
            r["scale"]: r
            for r in runs
            if r["backend"] == backend and r["workload"] == "interchange"
        }
        if 1 in by_scale and len(by_scale) > 1:
            scale = max(by_scale)
            growth = []
            for key, what in (
                ("qdpx_export", "the REFI-QDA export"),
                ("qdpx_import", "the import"),
                ("extracts_csv", "the CSV"),
                ("extracts_xlsx", "the .xlsx"),
            ):
                if key in by_scale[1] and key in by_scale[scale]:
                    ratio = by_scale[scale][key]["median_s"] / by_scale[1][key]["median_s"]
                    growth.append(f"{what} {ratio:.1f}×")
            lines += [
                "",
                f"On {backend}, at {scale}× the 14-transcript study ({scale}× the transcripts and "
                f"codings) takes {', '.join(growth)} as long as at 1× (linear would be {scale}×).",
            ]
    if missing:
        lines += ["", "Not timed, not written yet when the benchmark ran: "
                  + "; ".join(dict.fromkeys(missing)) + "."]  # fmt: skip
    return lines


def _import(content: bytes, user, repeat: int) -> dict:
    """`exchange.qdpx.importer.qdpx_import` of the exported file into a fresh study each time:
    reading and checking the file, transcripts into anonymisation review with identifier
    detection run, turns, participants, attributes, coder layers, codes, codings and memos."""
    from exchange.qdpx.importer import qdpx_import

    times, queries, result = [], 0, None
    for n in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = qdpx_import(
                content=content,
                user=user,
                new_study={"title": f"Imported benchmark {n + 1}"},
                match_accounts=True,
            )
            times.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    return {
        "median_s": _median_s(times),
        "min_s": round(min(times), 3),
        "queries": queries,
        **{key: value for key, value in result.counts().items() if type(value) is int},
    }


def _docx(member: Membership, repeat: int) -> dict:
    """`exchange.docx_report.report_docx`: the report read (consent guard included) and written
    as .docx, every chosen extract in it."""
    from exchange.docx_report import report_docx

    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            content, report = report_docx(member)
            times.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    quoted = [extract for extract in report.extracts if extract.quotation.allowed]
    assert len(quoted) == len(report.extracts), "every participant consented"
    return {
        "median_s": _median_s(times),
        "min_s": round(min(times), 3),
        "extracts": len(quoted),
        "flagged": len(report.flagged),
        "bytes": len(content),
        "queries": queries,
    }
