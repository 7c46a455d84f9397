import csv
import io
import json
import re
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from coding.models import Code
from coding.rounds import round_open, round_unblind
from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from exchange.extracts import XLSX_CELL_LIMIT, _xlsx_cell
from studies.models import AttributeDefinition, AttributeValue, AuditEvent, Membership
from studies.tests.factories import make_participant, make_source_project

pytestmark = pytest.mark.django_db

CANARY = "zq-canary-extract-41d7"
FORMULA = '=HYPERLINK("https://example.org","click")'
TURNS = [
    ("I", "How did you begin with a new client?"),
    ("P", "Slowly 🙂 — I listen first, and the café small talk 🌱 matters more than people think."),
    ("I", "And when it goes wrong?"),
    ("P", "Then I name it 🙏, carefully, and we repair it together."),
]
HEADER = [
    "transcript",
    "transcript uuid",
    "version",
    "participant",
    "Years",
    "Profession",
    "source project",
    "code",
    "code uuid",
    "parent code",
    "coder",
    "start",
    "end",
    "turn",
    "speaker",
    "text",
]


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def apply(study, user, transcript, words, *, code=None, label=""):
    text = transcript.versions.get().text
    start = text.index(words)
    return coding_apply(
        member=member(study, user),
        transcript=transcript,
        start=start,
        end=start + len(words),
        codes=[code] if code else [],
        new_label=label,
    )[0]


def body(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM, for Excel
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(body(response)), read_only=True)
    return [list(row) for row in workbook["Extracts"].iter_rows(values_only=True)]


def everything(response) -> bytes:
    raw = body(response)
    parts = [raw, *(f"{k}: {v}".encode() for k, v in response.headers.items())]
    if raw[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts += [archive.read(name) for name in archive.namelist()]
    return b"\n".join(parts)


def csv_url(study):
    return reverse("exchange-extracts-csv", args=[study.slug])


def xlsx_url(study):
    return reverse("exchange-extracts-xlsx", args=[study.slug])


@pytest.fixture
def world(study, lead, coder_a, coder_b):
    """P1 (Project A) with emoji in the words, P2 (Project B); two attributes (Years placed
    first); a lead's parent code and a child code coded by coder A and coder B."""
    years = AttributeDefinition.objects.create(study=study, name="Years", position=1)
    profession = AttributeDefinition.objects.create(study=study, name="Profession", position=2)
    t1 = make_locked_transcript(study, "P1", TURNS)
    make_participant(study, "P2", source_project=make_source_project(study, "Project B"))
    t2 = make_locked_transcript(study, "P2", TURNS)
    AttributeValue.objects.create(participant=t1.participant, attribute=years, value="12")
    AttributeValue.objects.create(participant=t1.participant, attribute=profession, value="nurse")
    AttributeValue.objects.create(participant=t2.participant, attribute=profession, value="doctor")
    lead_member = member(study, lead)
    parent = code_create(member=lead_member, label="beginnings")
    child = code_create(member=lead_member, label="small talk")
    Code.objects.filter(pk=child.pk).update(parent=parent)
    first = apply(study, coder_a, t1, "café small talk 🌱", code=child)
    second = apply(study, coder_b, t2, "we repair it together", code=child)
    return {"t1": t1, "t2": t2, "parent": parent, "child": child, "codings": [first, second]}


class TestColumnsAndValues:
    def expected(self, world, coder, transcript, words, *, turn, years, profession, project):
        text = transcript.versions.get().text
        start = text.index(words)
        return [
            transcript.title,
            str(transcript.uuid),
            1,
            transcript.participant.pseudonym,
            years,
            profession,
            project,
            "small talk",
            str(world["child"].uuid),
            "beginnings",
            coder,
            start,
            start + len(words),
            turn,
            transcript.participant.pseudonym,
            words,
        ]

    def test_csv(self, client_for, lead, world):
        rows = csv_rows(client_for(lead).get(csv_url(world["t1"].study)))
        assert rows[0] == HEADER
        first = self.expected(
            world, "coder_a", world["t1"], "café small talk 🌱",
            turn=2, years="12", profession="nurse", project="Project A",
        )  # fmt: skip
        second = self.expected(
            world, "coder_b", world["t2"], "we repair it together",
            turn=4, years="", profession="doctor", project="Project B",
        )  # fmt: skip
        assert rows[1:] == [[str(cell) for cell in first], [str(cell) for cell in second]]

    def test_offsets_are_code_points_and_the_text_is_the_words(self, client_for, lead, world):
        (_header, row, _other) = csv_rows(client_for(lead).get(csv_url(world["t1"].study)))
        text = world["t1"].versions.get().text
        start, end = int(row[11]), int(row[12])
        assert text[start:end] == row[15] == "café small talk 🌱"
        # Two emoji and a dash before it: UTF-16 would count one more for each emoji.
        assert start == len("Slowly 🙂 — I listen first, and the ") + len(TURNS[0][1]) + 2
        assert end - start == 17

    def test_xlsx(self, client_for, lead, world):
        rows = xlsx_rows(client_for(lead).get(xlsx_url(world["t1"].study)))
        assert rows[0] == HEADER
        first = self.expected(
            world, "coder_a", world["t1"], "café small talk 🌱",
            turn=2, years="12", profession="nurse", project="Project A",
        )  # fmt: skip
        # Numbers are numbers, strings strings; an empty cell reads back as None.
        assert rows[1] == first
        assert rows[2][4] is None
        assert rows[2][-1] == "we repair it together"

    def test_interviewer_turns_and_codings_across_turns(self, client_for, lead, coder_a, world):
        t1 = world["t1"]
        text = t1.versions.get().text
        start = text.index("new client?")
        coding_apply(
            member=member(t1.study, coder_a),
            transcript=t1,
            start=start,
            end=text.index("Slowly") + len("Slowly"),
            new_label="opening",
        )
        rows = csv_rows(client_for(lead).get(csv_url(t1.study)))
        opening = next(row for row in rows if row[7] == "opening")
        assert opening[13:] == ["1", "Interviewer", "new client?\n\nSlowly"]
        assert opening[9] == ""  # no parent code

    def test_attribute_names_are_formula_safe_too(self, client_for, lead, world):
        AttributeDefinition.objects.filter(name="Years").update(name="=1+1")
        rows = csv_rows(client_for(lead).get(csv_url(world["t1"].study)))
        assert rows[0][4] == "'=1+1"


class TestFormulaSafety:
    @pytest.fixture
    def formula(self, study, coder_a, world):
        coding = apply(study, coder_a, world["t1"], "Then I name it", label=FORMULA)
        return coding

    def test_csv(self, client_for, lead, formula):
        rows = csv_rows(client_for(lead).get(csv_url(formula.code.study)))
        labels = [row[7] for row in rows[1:]]
        assert f"'{FORMULA}" in labels
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    def test_xlsx(self, client_for, lead, formula):
        response = client_for(lead).get(xlsx_url(formula.code.study))
        raw = body(response)
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and "<f " not in sheet
        workbook = load_workbook(io.BytesIO(raw))  # not read-only: it keeps the cells' types
        cells = [cell for row in workbook["Extracts"].iter_rows() for cell in row]
        label = next(cell for cell in cells if "HYPERLINK" in str(cell.value))
        assert label.value == f"'{FORMULA}"
        assert label.data_type == "s"
        assert not any(cell.data_type == "f" for cell in cells)

    def test_xlsx_cells_hold_what_a_spreadsheet_can(self):
        assert _xlsx_cell("a\x01b\x0bc") == "a\ufffdb\ufffdc"  # one code point each, still
        long = _xlsx_cell("x" * 40_000)
        assert len(long) == XLSX_CELL_LIMIT and long.endswith(" […]")
        assert _xlsx_cell(7) == 7 and _xlsx_cell(None) is None
        assert _xlsx_cell("-1") == "'-1"


class TestBlindRule:
    @pytest.fixture
    def blind(self, study, lead, coder_a, coder_b, world):
        """An open round on both transcripts for coders A and B; coder B's canary code (the
        parent of a lead's code that coder A applies), coded on P1."""
        coding_round = round_open(
            member=member(study, lead),
            title="Round 1",
            transcripts=[world["t1"], world["t2"]],
            coders=[coder_a, coder_b],
        )
        canary = apply(study, coder_b, world["t1"], "I listen first", label=CANARY).code
        Code.objects.filter(pk=world["parent"].pk).update(parent=canary)
        apply(study, coder_a, world["t2"], "Slowly", code=world["parent"])
        return coding_round

    @pytest.mark.parametrize("url", [csv_url, xlsx_url])
    def test_coder_a_sees_only_their_own_layer(self, client_for, study, coder_a, blind, url):
        response = client_for(coder_a).get(url(study))
        assert response.status_code == 200
        assert CANARY.encode() not in everything(response).lower()
        response = client_for(coder_a).get(url(study))
        rows = csv_rows(response) if url is csv_url else xlsx_rows(response)
        assert {row[10] for row in rows[1:]} == {"coder_a"}
        beginnings = next(row for row in rows[1:] if row[7] == "beginnings")
        assert beginnings[9] in {"", None}  # its parent is coder B's, hidden

    def test_a_viewer_sees_none_of_the_round(self, client_for, study, viewer, blind):
        rows = csv_rows(client_for(viewer).get(csv_url(study)))
        assert rows == [HEADER]

    def test_after_unblinding_the_lead_and_coder_a_see_both(
        self, client_for, study, lead, coder_a, blind
    ):
        round_unblind(member=member(study, lead), coding_round=blind)
        for user in (lead, coder_a):
            rows = csv_rows(client_for(user).get(csv_url(study)))
            assert {row[10] for row in rows[1:]} == {"coder_a", "coder_b"}
            assert CANARY in {row[7] for row in rows} | {row[9] for row in rows}


class TestRolesAndAudit:
    @pytest.mark.parametrize("url", [csv_url, xlsx_url])
    @pytest.mark.parametrize("persona", ["custodian", "lead", "coder_a", "viewer"])
    def test_every_member_may_download(self, client_for, personas, world, url, persona):
        response = client_for(personas[persona]).get(url(world["t1"].study))
        assert response.status_code == 200
        extension = "csv" if url is csv_url else "xlsx"
        assert re.fullmatch(
            rf'attachment; filename="{world["t1"].study.slug}-extracts-\d{{8}}-\d{{6}}\.{extension}"',
            response["Content-Disposition"],
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        body(response)

    @pytest.mark.parametrize("url", [csv_url, xlsx_url])
    def test_outsider_gets_404_and_post_is_refused(
        self, client, client_for, outsider, lead, world, url
    ):
        study = world["t1"].study
        assert client.get(url(study)).status_code == 302  # to log in
        assert client_for(outsider).get(url(study)).status_code == 404
        assert client_for(lead).post(url(study)).status_code == 405
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()

    @pytest.mark.parametrize("url", [csv_url, xlsx_url])
    def test_the_download_is_audited_without_the_words(self, client_for, coder_a, world, url):
        study = world["t1"].study
        body(client_for(coder_a).get(url(study)))
        (event,) = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
        fmt = "csv" if url is csv_url else "xlsx"
        assert event.actor == coder_a and event.study == study
        assert event.details["format"] == fmt and event.details["rows"] == 2
        assert event.details["what"] == "extracts"
        assert event.details["file"].endswith(f".{fmt}")
        if fmt == "xlsx":
            assert re.fullmatch(r"[0-9a-f]{64}", event.details["sha256"])
        details = json.dumps(event.details, ensure_ascii=False)
        assert "small talk" not in details and "repair" not in details


class TestQueryCount:
    """The queries of a download do not grow with the codings: 2 and 12 codings (over the same
    transcripts), the whole file read inside the counted block."""

    def code_more(self, study, coder_a, world, how_many):
        t1 = world["t1"]
        a = member(study, coder_a)
        for n in range(how_many):
            coding_apply(
                member=a, transcript=t1, start=n, end=n + 5, codes=[], new_label=f"code {n}"
            )

    @pytest.mark.parametrize(("url", "queries"), [(csv_url, 13), (xlsx_url, 12)])
    @pytest.mark.parametrize("more", [0, 10])
    def test_constant(
        self, client_for, study, coder_a, world, django_assert_num_queries, url, queries, more
    ):
        self.code_more(study, coder_a, world, more)
        client = client_for(coder_a)
        with django_assert_num_queries(queries):
            response = client.get(url(study))
            read = csv_rows(response) if url is csv_url else xlsx_rows(response)
        assert len(read) == 1 + 2 + more


class TestCommand:
    def test_csv_as_coder_a_in_an_open_round(self, tmp_path, study, lead, coder_a, coder_b, world):
        round_open(
            member=member(study, lead),
            title="Round 1",
            transcripts=[world["t1"], world["t2"]],
            coders=[coder_a, coder_b],
        )
        apply(study, coder_b, world["t1"], "I listen first", label=CANARY)
        out = tmp_path / "extracts.csv"
        stdout = io.StringIO()
        call_command("export_extracts", study.slug, str(out), "--as", "coder_a", stdout=stdout)
        raw = out.read_bytes()
        assert CANARY.encode() not in raw
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[0] == HEADER and {row[10] for row in rows[1:]} == {"coder_a"}
        assert stdout.getvalue().startswith(f"1 extracts written to {out}")
        (event,) = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
        assert event.actor == coder_a
        assert event.details["rows"] == 1 and event.details["format"] == "csv"
        assert len(event.details["sha256"]) == 64

    def test_xlsx_as_the_first_custodian(self, tmp_path, study, world):
        out = tmp_path / "extracts.xlsx"
        call_command("export_extracts", study.slug, str(out), stdout=io.StringIO())
        rows = [
            list(r)
            for r in load_workbook(out, read_only=True)["Extracts"].iter_rows(values_only=True)
        ]
        assert rows[0] == HEADER and len(rows) == 3
        assert list(tmp_path.iterdir()) == [out]  # no temporary file left beside it

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["no-such-study", "x.csv"], "no study with the slug 'no-such-study'"),
            (["{study}", "x.pdf"], "must end in .csv or .xlsx"),
            (["{study}", "elsewhere/x.csv"], "elsewhere does not exist"),
            (["{study}", "x.csv", "--as", "nobody"], "no account named 'nobody'"),
            (["{study}", "x.csv", "--as", "outsider"], "outsider is not a member"),
        ],
    )
    def test_bad_input(self, tmp_path, study, outsider, args, message):
        args = [arg.format(study=study.slug) for arg in args]
        args[1] = str(tmp_path / args[1])
        with pytest.raises(CommandError, match=message):
            call_command("export_extracts", *args, stdout=io.StringIO())
        assert list(tmp_path.iterdir()) == []
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
