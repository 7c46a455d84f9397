"""`manage.py agreement`: the per-code table as text or JSON, the run saved and audited like the
page's, and every failure a one-line reason with a non-zero exit code."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coding.management.commands.agreement import Command
from coding.models import AgreementRun
from coding.rounds import round_open
from coding.services import code_create
from coding.tests.factories import make_locked_transcript
from coding.tests.test_stats import REASON, apply, member
from studies.models import AuditEvent, Study

ROOT = Path(__file__).resolve().parents[2]
ROW_KEYS = [
    "code",
    "n_units",
    "prevalence_a",
    "prevalence_b",
    "percent_agreement",
    "cohen_kappa",
    "krippendorff_alpha",
]


def agreement(*args: str) -> str:
    out = StringIO()
    call_command("agreement", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def codebook_study(study):
    study.analysis_mode = Study.AnalysisMode.CODEBOOK
    study.save()
    return study


@pytest.fixture
def coded(codebook_study, lead, coder_a, coder_b):
    """P1 coded by A on turn 2 and by B on turns 2 and 4 with "trust"; B's "safe space" on turn
    4 only; P2 coded by A alone."""
    p1 = make_locked_transcript(codebook_study, "P1")
    p2 = make_locked_transcript(codebook_study, "P2")
    trust = code_create(member=member(codebook_study, lead), label="trust")
    space = code_create(member=member(codebook_study, coder_b), label="safe space")
    apply(codebook_study, coder_a, p1, "I listen first", trust)
    apply(codebook_study, coder_b, p1, "café small talk", trust)
    apply(codebook_study, coder_b, p1, "I name it", trust)
    apply(codebook_study, coder_b, p1, "I name it", space)
    apply(codebook_study, coder_a, p2, "I listen first", trust)
    return p1, p2


@pytest.mark.django_db
class TestOutput:
    def test_the_table_as_text_with_the_pooled_figures_apart(
        self, codebook_study, coded, custodian
    ):
        lines = agreement(codebook_study.slug, "--coders", "coder_a", "coder_b").splitlines()
        run = AgreementRun.objects.get()
        assert lines[0] == (
            f"Agreement by speaker turn: coder_a (A), coder_b (B); 1 transcript. Saved as run "
            f"{run.uuid}."
        )
        assert lines[1] == ""
        assert lines[2].split() == [
            "code",
            "units",
            "prev.",
            "A",
            "prev.",
            "B",
            "agreement",
            "kappa",
            "alpha",
            "warnings",
        ]
        assert lines[3].split() == [
            "safe",
            "space",
            "4",
            "0.0",
            "%",
            "25.0",
            "%",
            "75.0",
            "%",
            "0.00",
            "0.00",
            "low",
            "prevalence",
        ]
        assert lines[4].split()[:10] == [
            "trust",
            "4",
            "25.0",
            "%",
            "50.0",
            "%",
            "75.0",
            "%",
            "0.50",
            "0.53",
        ]
        # the columns line up
        assert lines[3].index("%") == lines[4].index("%")
        assert lines[5] == ""
        assert lines[6].startswith("Pooled, every unit of every code: 8 units, prevalence A ")
        assert "mean kappa of the codes 0.25" in lines[6]
        assert lines[7].startswith("Agreement is a prompt for discussion")
        assert run.created_by == custodian
        event = AuditEvent.objects.get(action=AuditEvent.Action.AGREEMENT)
        assert event.actor == custodian and event.details["run"] == str(run.uuid)

    def test_json_has_exactly_the_keys_documented(self, codebook_study, coded):
        data = json.loads(
            agreement(codebook_study.slug, "--coders", "coder_a", "coder_b", "--json")
        )
        assert list(data) == [
            "run",
            "study",
            "created_at",
            "unit",
            "threshold",
            "exclude_interviewer",
            "coders",
            "transcripts",
            "justification",
            "rows",
            "pooled",
        ]
        assert data["run"] == str(AgreementRun.objects.get().uuid)
        assert (data["study"], data["unit"], data["threshold"]) == (
            codebook_study.slug,
            "turn",
            None,
        )
        assert data["coders"] == ["coder_a", "coder_b"] and data["transcripts"] == 1
        assert [list(row) for row in data["rows"]] == [ROW_KEYS, ROW_KEYS]
        assert data["rows"][1] == {
            "code": "trust",
            "n_units": 4,
            "prevalence_a": 0.25,
            "prevalence_b": 0.5,
            "percent_agreement": 0.75,
            "cohen_kappa": pytest.approx(0.5),
            "krippendorff_alpha": pytest.approx(8 / 15),
        }
        assert list(data["pooled"]) == [*ROW_KEYS[1:], "mean_kappa"]
        assert data["pooled"]["n_units"] == 8

    def test_the_options(self, codebook_study, coded, lead):
        p1, p2 = coded
        data = json.loads(
            agreement(
                codebook_study.slug,
                "--coders", "coder_b", "coder_a",
                "--unit", "segment",
                "--threshold", "0.5",
                "--exclude-interviewer",
                "--transcripts", "p1", str(p2.uuid),
                "--justification", REASON,
                "--as", "lead",
                "--json",
            )
        )  # fmt: skip
        assert (data["unit"], data["threshold"], data["exclude_interviewer"]) == (
            "segment",
            0.5,
            True,
        )
        assert data["coders"] == ["coder_b", "coder_a"] and data["transcripts"] == 2
        assert data["justification"] == REASON
        run = AgreementRun.objects.get()
        assert run.created_by == lead and set(run.transcripts.all()) == {p1, p2}

    def test_help_documents_the_json(self):
        text = Command().create_parser("manage.py", "agreement").format_help()
        for word in ("--coders", "--unit", "--threshold", "--exclude-interviewer", "--json"):
            assert word in text
        for key in [*ROW_KEYS, "pooled", "mean_kappa"]:
            assert f'"{key}"' in text


@pytest.mark.django_db
class TestErrors:
    @pytest.mark.parametrize(
        ("args", "reason"),
        [
            (["no-such-study", "--coders", "coder_a", "coder_b"], "no study with the slug"),
            (["{study}"], "give the coders to compare: --coders USER_A USER_B"),
            (["{study}", "--coders", "coder_a", "nobody"], "no account named 'nobody'"),
            (["{study}", "--coders", "coder_a"], "Choose at least two different coders"),
            (["{study}", "--coders", "coder_a", "outsider"], "outsider is not a member"),
            (["{study}", "--coders", "coder_a", "coder_b", "--unit", "word"], "no unit “word”"),
            (
                [
                    "{study}",
                    "--coders",
                    "coder_a",
                    "coder_b",
                    "--unit",
                    "segment",
                    "--threshold",
                    "2",
                ],
                "more than 0, at most 1",
            ),
            (["{study}", "--coders", "coder_a", "coder_b", "--threshold", "x"], "is not a number"),
            (
                ["{study}", "--coders", "coder_a", "coder_b", "--as", "viewer"],
                "viewer is not a coder",
            ),
            (["{study}", "--coders", "coder_a", "coder_b", "--as", "ghost"], "no account named"),
            (
                ["{study}", "--coders", "coder_a", "coder_b", "--transcripts", "P9"],
                "no transcript 'P9'",
            ),
        ],
    )
    def test_a_one_line_reason(self, codebook_study, coded, outsider, args, reason):
        args = [arg.format(study=codebook_study.slug) for arg in args]
        with pytest.raises(CommandError) as caught:
            agreement(*args)
        assert reason in str(caught.value)
        assert "\n" not in str(caught.value)
        assert not AgreementRun.objects.exists()

    def test_reflexive_mode_needs_a_justification(self, study, coded):
        study.analysis_mode = Study.AnalysisMode.REFLEXIVE
        study.save()
        with pytest.raises(CommandError, match="at least 20 characters"):
            agreement(study.slug, "--coders", "coder_a", "coder_b")
        agreement(study.slug, "--coders", "coder_a", "coder_b", "--justification", REASON)
        assert AgreementRun.objects.get().justification == REASON

    def test_the_blind_rule_holds_for_the_account_computing(
        self, codebook_study, coded, lead, coder_a, coder_b
    ):
        round_open(
            member=member(codebook_study, lead),
            title="Round 1",
            transcripts=[coded[0]],
            coders=[coder_a, coder_b],
        )
        with pytest.raises(CommandError, match="must be unblinded"):
            agreement(codebook_study.slug, "--coders", "coder_a", "coder_b", "--as", "coder_a")
        agreement(codebook_study.slug, "--coders", "coder_a", "coder_b")  # the custodian
        assert AgreementRun.objects.count() == 1

    def test_a_study_without_a_custodian_needs_as(self, codebook_study, coded):
        codebook_study.memberships.filter(role="custodian").delete()
        with pytest.raises(CommandError, match="has no custodian to compute as; give --as"):
            agreement(codebook_study.slug, "--coders", "coder_a", "coder_b")


def test_from_a_shell_on_the_demo(tmp_path):
    """As an operator runs it: a fresh process on the demo study (reflexive TA, two coders)."""
    unset = {"DATABASE_URL", "REDIS_URL", "VAULT_KEYS", "SECRET_KEY"}
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(DEBUG="1", VAR_DIR=str(tmp_path))

    def manage(*args):
        return subprocess.run(  # noqa: S603 — this interpreter, this project's manage.py
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    assert manage("migrate", "--noinput").returncode == 0
    assert manage("demo").returncode == 0
    refused = manage("agreement", "working-alliance", "--coders", "coder_a", "coder_b")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "CommandError: In reflexive thematic analysis agreement statistics are off by default: "
        "say why you compute them, in at least 20 characters (the justification goes into the "
        "methods text)."
    ]
    result = manage(
        "agreement", "working-alliance", "--coders", "coder_a", "coder_b",
        "--justification", REASON, "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["coders"] == ["coder_a", "coder_b"] and data["transcripts"] == 6
    assert data["rows"] and all(list(row) == ROW_KEYS for row in data["rows"])
