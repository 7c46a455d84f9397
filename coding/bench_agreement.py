"""The agreement benchmark: the 14-transcript workload (generated interviews of about 9,500 words)
with two coders, 300 codes and about 4,000 codings, for each unit (turn, character, segment,
transcript). Coder A's 2,000 codings are passages of 20 to 600 characters starting in a
participant's turn; coder B copies 60 % of them with boundaries moved by up to 40 characters
(and another code one time in seven) and adds 800 of their own, so agreement is realistic.

Timed, in memory (no database): `coding.agreement` end to end (spans → `unit_tables` →
`report`) and its statistics only (`report` from the tables); and, on the same matrices
(`agreement.matrix` of each code's table, made into numpy arrays outside the timed region), the
`krippendorff` package's nominal alpha and scikit-learn's `cohen_kappa_score`, code by code, as a
study would have to call them. The references run through at most REFERENCE_BUDGET matrix
cells per pass: where 300 codes are more (the character unit: some 690,000 units a code), an
even sample of the codes is timed and the time scaled to all of them, and the report says so.
Their figures are checked against ours on every code they computed.

Then the same workload is written to a throwaway study and `coding.stats.agreement_compute`
timed per unit, as the page and the command run it: reading under the blind rule, computing,
saving the run and auditing it. Medians of --repeat runs; --scale N multiplies the transcripts
and codings."""

import math
import random
import statistics
import time
import warnings
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext

from coding import agreement
from coding.bench import _setup
from coding.bench_retrieve import _more_transcripts
from coding.models import Code, Coding
from coding.stats import agreement_compute
from studies.bench import Options
from studies.models import Study
from transcripts.demo import interview
from transcripts.models import Turn

TRANSCRIPTS = 14
WORDS = 9_500
CODES = 300
CODINGS_A = 2_000
COPIED = 0.6  # of A's codings, B codes (nearly) the same passage
OTHER_CODE = 1 / 7  # … but with another code
OWN_B = 800
JITTER = 40
REFERENCE_BUDGET = 25_000_000  # matrix cells per pass of the reference implementations
UNITS = agreement.UNITS
CODERS = ("A", "B")


def workload(scale: int) -> tuple[list[agreement.Turn], list[agreement.Span]]:
    """The turns of 14 times `scale` interviews (the texts `coding.bench` stores: turns joined by a
    blank line) and the two coders' spans."""
    rng = random.Random(23)  # noqa: S311 — a fixed, fictional workload
    turns, spoken_in = [], {}
    for n in range(TRANSCRIPTS * scale):
        offset = 0
        for turn in interview(n + 1, words=WORDS):
            turns.append(agreement.Turn(n, offset, offset + len(turn.text), turn.interviewer))
            offset += len(turn.text) + 2
        spoken_in[n] = ([t for t in turns if t.transcript == n and not t.interviewer], offset - 2)

    def passage(transcript: int) -> tuple[int, int]:
        spoken, length = spoken_in[transcript]
        turn = rng.choice(spoken)
        start = rng.randrange(turn.start, max(turn.start + 1, turn.end - 20))
        return start, min(length, start + rng.randrange(20, 600))

    spans = []
    for _ in range(CODINGS_A * scale):
        transcript = rng.randrange(TRANSCRIPTS * scale)
        start, end = passage(transcript)
        code = rng.randrange(CODES)
        spans.append(agreement.Span(transcript, code, "A", start, end))
        if rng.random() < COPIED:
            length = spoken_in[transcript][1]
            start = min(max(0, start + rng.randint(-JITTER, JITTER)), length - 1)
            end = min(max(start + 1, end + rng.randint(-JITTER, JITTER)), length)
            other = rng.randrange(CODES) if rng.random() < OTHER_CODE else code
            spans.append(agreement.Span(transcript, other, "B", start, end))
    for _ in range(OWN_B * scale):
        transcript = rng.randrange(TRANSCRIPTS * scale)
        start, end = passage(transcript)
        spans.append(agreement.Span(transcript, rng.randrange(CODES), "B", start, end))
    return turns, spans


def _median_ms(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2), result


def _arrays(table: agreement.Table):
    """The code's matrix (`agreement.matrix`, units in the table's order) as numpy arrays: floats
    with NaN for missing values for krippendorff, and scikit-learn's two label lists on the units
    where both coders have a value."""
    import numpy as np

    patterns = list(table)
    counts = [table[pattern] for pattern in patterns]
    rows = [
        np.repeat(
            np.array([math.nan if p[i] is None else p[i] for p in patterns], dtype=float), counts
        )
        for i in range(len(CODERS))
    ]
    data = np.vstack(rows) if patterns else np.empty((len(CODERS), 0))
    both = ~np.isnan(data).any(axis=0)
    return data, data[0][both].astype(int), data[1][both].astype(int)


def _references(tables: dict, ours: agreement.Report, repeat: int) -> dict:
    """krippendorff's alpha and scikit-learn's kappa on the same matrices, code by code (an even
    sample of the codes if all would pass REFERENCE_BUDGET cells), and how far they are from ours."""
    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    codes = sorted(tables)
    cells = sum(agreement.n_units(tables[code]) for code in codes) * len(CODERS)
    sample = codes
    if cells > REFERENCE_BUDGET:
        step = math.ceil(cells / REFERENCE_BUDGET)
        sample = codes[::step]
    first = tables[codes[0]]
    if agreement.n_units(first) <= 100_000:  # the arrays are the module's matrix
        data, _a, _b = _arrays(first)
        expected = np.array(agreement.matrix(first), dtype=float).reshape(data.shape)
        assert np.array_equal(data, expected)
    alpha_ms = kappa_ms = 0.0
    alpha_diff = kappa_diff = 0.0
    by_code = {row.code: row for row in ours.rows}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # NaN kappas of codes without variation
        for code in sample:
            data, first_coder, second_coder = _arrays(tables[code])
            alphas, kappas = [], []
            for _ in range(repeat):
                started = time.perf_counter()
                try:
                    alpha = krippendorff.alpha(
                        reliability_data=data, level_of_measurement="nominal"
                    )
                except ValueError:  # fewer than two values: ours says None
                    alpha = math.nan
                alphas.append(time.perf_counter() - started)
                started = time.perf_counter()
                kappa = cohen_kappa_score(first_coder, second_coder)
                kappas.append(time.perf_counter() - started)
            alpha_ms += statistics.median(alphas) * 1000
            kappa_ms += statistics.median(kappas) * 1000
            row = by_code[code]
            for theirs, mine, worst in (
                (alpha, row.krippendorff_alpha, "alpha"),
                (kappa, row.cohen_kappa, "kappa"),
            ):
                if math.isnan(theirs) != (mine is None):
                    raise AssertionError(f"code {code}: {worst} {mine} against {theirs}")
                if mine is not None:
                    if worst == "alpha":
                        alpha_diff = max(alpha_diff, abs(theirs - mine))
                    else:
                        kappa_diff = max(kappa_diff, abs(theirs - mine))
    share = len(codes) / len(sample)
    return {
        "codes_timed": len(sample),
        "krippendorff_ms": round(alpha_ms * share, 2),
        "sklearn_ms": round(kappa_ms * share, 2),
        "max_alpha_difference": alpha_diff,
        "max_kappa_difference": kappa_diff,
    }


def _in_memory(scale: int, repeat: int) -> tuple[dict, list, list]:
    turns, spans = workload(scale)
    units = {}
    for unit in UNITS:

        def end_to_end(unit=unit):
            tables = agreement.unit_tables(turns, spans, coders=CODERS, unit=unit)
            return tables, agreement.report(tables, CODERS, unit=unit)

        e2e_ms, (tables, report) = _median_ms(end_to_end, repeat)
        stats_ms, _ = _median_ms(
            lambda t=tables, u=unit: agreement.report(t, CODERS, unit=u), repeat
        )
        references = _references(tables, report, repeat)
        reference_ms = references["krippendorff_ms"] + references["sklearn_ms"]
        units[unit] = {
            "codes": len(tables),
            "units_per_code": round(statistics.mean(agreement.n_units(t) for t in tables.values())),
            "ours_end_to_end_ms": e2e_ms,
            "ours_statistics_ms": stats_ms,
            **references,
            "references_over_ours_end_to_end": round(reference_ms / e2e_ms, 1),
            "references_over_ours_statistics": round(reference_ms / max(stats_ms, 0.01), 1),
            "pooled_alpha": report.pooled.krippendorff_alpha,
            "mean_kappa": report.mean_kappa,
        }
    return units, turns, spans


def _in_the_database(turns: list, spans: list, scale: int, repeat: int) -> dict:
    """The same workload in a throwaway study; agreement_compute per unit, as coder A."""
    study, members, transcript, version = _setup(WORDS)
    versions = [version, *_more_transcripts(study, transcript, TRANSCRIPTS * scale - 1, WORDS)]
    for n, stored in enumerate(versions):  # the texts are the ones computed in memory
        expected = [(t.start, t.end) for t in turns if t.transcript == n]
        assert list(Turn.objects.filter(version=stored).values_list("start", "end")) == expected
    Study.objects.filter(pk=study.pk).update(analysis_mode=Study.AnalysisMode.CODEBOOK)
    members[0].study.analysis_mode = Study.AnalysisMode.CODEBOOK
    codes = Code.objects.bulk_create(
        Code(study=study, label=f"code {n:03d}", created_by=members[0].user) for n in range(CODES)
    )
    users = {"A": members[0].user, "B": members[1].user}
    codings = {
        (versions[s.transcript].pk, codes[s.code].pk, users[s.coder].pk, s.start, s.end): Coding(
            version=versions[s.transcript],
            code=codes[s.code],
            coder=users[s.coder],
            start=s.start,
            end=s.end,
        )
        for s in spans
    }
    Coding.objects.bulk_create(codings.values(), batch_size=5_000)
    results = {}
    for unit in UNITS:
        times, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                run = agreement_compute(
                    member=members[0], coders=[users["A"], users["B"]], unit=unit
                )
                times.append(time.perf_counter() - started)
            queries = len(captured.captured_queries)
        results[unit] = {
            "median_ms": round(statistics.median(times) * 1000, 2),
            "queries": queries,
            "codes": len(run.result["rows"]),
        }
    return {"backend": connection.vendor, "codings": len(codings), "units": results}


def run_agreement(options: Options) -> dict:
    started = time.perf_counter()
    units, turns, spans = _in_memory(options.scale, options.repeat)
    in_memory_s = time.perf_counter() - started
    service = _in_the_database(turns, spans, options.scale, options.repeat)
    return {
        "workload": "agreement",
        "backend": connection.vendor,
        "scale": options.scale,
        "transcripts": TRANSCRIPTS * options.scale,
        "turns": len(turns),
        "characters": sum(turn.end - turn.start for turn in turns),
        "codes": CODES,
        "codings": len(spans),
        "repeat": options.repeat,
        "in_memory_s": round(in_memory_s, 1),
        "units": units,
        "service": service,
    }


def report_section(results: list[dict]) -> list[str]:
    runs = [result for result in results if result["workload"] == "agreement"]
    if not runs:
        return []
    lines = [
        "",
        "## Agreement",
        "",
        "14 generated interviews of about 9,500 words, two coders, 300 codes and about 4,000",
        "codings (coder B copies 60 % of coder A's passages with boundaries moved by up to 40",
        "characters, one in seven with another code, and adds some of their own). For each unit,",
        "in memory: `coding.agreement` end to end (spans → tables → report) and its statistics",
        "alone (report from the tables), against the `krippendorff` package's nominal alpha and",
        "scikit-learn's `cohen_kappa_score` called code by code on the same matrices (made into",
        "numpy arrays outside the timing). Where timing the references on all 300 codes would",
        "take minutes (the character unit), an even sample of the codes is timed and scaled to",
        "300: *codes timed*. *Largest difference*: between their α and κ and ours, on every code",
        "they computed. Last, the service that the page and `manage.py agreement` call",
        "(`agreement_compute`: reading the codings under the blind rule, computing, saving and",
        "auditing the run), from the database.",
    ]
    for run in runs:
        lines += [
            "",
            f"{run['scale']}×: {run['transcripts']} transcripts, {run['turns']} turns, "
            f"{run['characters']:,} characters, {run['codings']:,} codings, {run['codes']} "
            f"codes; medians of {run['repeat']}.",
            "",
            "| unit | units per code | ours end to end | ours statistics only "
            "| krippendorff α | scikit-learn κ | codes timed "
            "| references ÷ ours end to end | references ÷ ours statistics "
            f"| largest difference α / κ | service on {run['service']['backend']} (queries) |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for unit, figures in run["units"].items():
            service = run["service"]["units"][unit]
            lines.append(
                f"| {unit} | {figures['units_per_code']:,} | {figures['ours_end_to_end_ms']} ms "
                f"| {figures['ours_statistics_ms']} ms | {figures['krippendorff_ms']} ms "
                f"| {figures['sklearn_ms']} ms | {figures['codes_timed']} of {figures['codes']} "
                f"| {figures['references_over_ours_end_to_end']}× "
                f"| {figures['references_over_ours_statistics']}× "
                f"| {figures['max_alpha_difference']:.0e} / {figures['max_kappa_difference']:.0e} "
                f"| {service['median_ms']} ms ({service['queries']}) |"
            )
    return lines
