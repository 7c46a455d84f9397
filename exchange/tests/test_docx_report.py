"""The report as .docx: it opens (python-docx reads it back; LibreOffice converts it to PDF when
it is installed), holds every chosen quote with its attribution, headings per theme and
subtheme, Table 4, the map as one picture 17 cm wide, the methods — and nothing from the vault."""

import io
import shutil
import subprocess
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from docx import Document
from docx.shared import Cm
from PIL import Image

from exchange import report
from exchange.docx_report import CHECK, FIGURE_CAPTION, QUOTE_STYLE, TABLE_TITLE, map_png
from exchange.tests.test_report import TURNS, apply, consent, make_theme, member
from studies.models import AuditEvent, ConsentRecord
from studies.tests.factories import make_participant
from themes.map import ThematicMap, map_for
from transcripts.versions import transcript_correct

pytestmark = pytest.mark.django_db

CANARY_NAME = "Zephyrine Quattlebaum"
CANARY_CONTACT = "zq-vault-canary@example.org"


@pytest.fixture
def study_report(study, lead, coder_a, custodian):
    """Two themes (one with a subtheme), quotes chosen from P1 and P2 (who may be quoted, and
    whose vault entries carry canaries), and P3, who declined quotation."""
    from coding.services import code_create
    from coding.tests.factories import make_locked_transcript

    people = {}
    for n in (1, 2, 3):
        participant = make_participant(
            study, f"P{n}", real_name=f"{CANARY_NAME} {n}", contact=CANARY_CONTACT,
            original_id=f"zq-orig-{n}",
        )  # fmt: skip
        consent(participant, n != 3, by=custodian)
        people[n] = make_locked_transcript(study, f"P{n}", TURNS)
    lead_member = member(study, lead)
    listening = code_create(member=lead_member, label="listening first")
    repair = code_create(member=lead_member, label="repairing ruptures")
    limits = code_create(member=lead_member, label="limits")
    craft = make_theme(
        study, "Craft of the alliance", [listening], by=lead,
        central_concept="The alliance is made, not found.", definition="How therapists build it.",
        boundaries="Not the client's motivation.",
    )  # fmt: skip
    sub = make_theme(study, "Repairing ruptures", [repair], by=lead, parent=craft)
    edges = make_theme(study, "Edges of the work", [limits], by=lead, definition="Where it stops.")
    a = member(study, coder_a)
    chosen = [
        report.extract_choose(
            member=a, theme=craft, coding=apply(study, lead, people[1], "I listen first", listening)
        ),
        report.extract_choose(
            member=a,
            theme=craft,
            coding=apply(study, lead, people[2], "the small talk matters", listening),
        ),
        report.extract_choose(
            member=a,
            theme=sub,
            coding=apply(study, lead, people[1], "we repair it together", repair),
        ),
        report.extract_choose(
            member=a, theme=edges, coding=apply(study, lead, people[2], "I name it", limits)
        ),
    ]
    apply(study, lead, people[3], "carefully", limits)  # P3 contributes, but is never quoted
    return {"themes": (craft, sub, edges), "chosen": chosen, "people": people}


def read(content: bytes) -> Document:
    return Document(io.BytesIO(content))


def export(client, study) -> bytes:
    response = client.get(reverse("exchange-report-docx", args=[study.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response["Content-Disposition"].startswith(f'attachment; filename="{study.slug}-report-')
    return response.content


def quotes(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == QUOTE_STYLE]


def test_the_docx_holds_every_quote_with_its_attribution(client_for, study, coder_a, study_report):
    document = read(export(client_for(coder_a), study))
    assert quotes(document) == [
        "I listen first (P1)",
        "the small talk matters (P2)",
        "we repair it together (P1)",
        "I name it (P2)",
    ]
    paragraph = next(p for p in document.paragraphs if p.style.name == QUOTE_STYLE)
    words, attribution = paragraph.runs[0], paragraph.runs[1]
    assert (words.text, attribution.text) == ("I listen first", " (P1)")
    assert attribution.italic is False
    style = document.styles[QUOTE_STYLE]
    assert style.font.italic is True
    assert round(style.paragraph_format.left_indent.cm, 2) == 1


def test_a_quote_over_two_turns_keeps_its_line_break(
    client_for, study, lead, coder_a, study_report
):
    craft = study_report["themes"][0]
    coding = apply(
        study, lead, study_report["people"][1], "more than people think.\n\nAnd when",
        craft.theme_codes.get().code,
    )  # fmt: skip
    report.extract_choose(member=member(study, coder_a), theme=craft, coding=coding)
    document = read(export(client_for(coder_a), study))
    assert "more than people think.\nAnd when (P1)" in quotes(document)


def test_headings_per_theme_and_subtheme(client_for, study, coder_a, study_report):
    document = read(export(client_for(coder_a), study))
    headings = [
        (p.style.name, p.text)
        for p in document.paragraphs
        if p.style.name.startswith(("Heading", "Title"))
    ]
    assert headings[0] == ("Title", f"Results: {study.title}")
    assert ("Heading 1", "Method") in headings and ("Heading 1", "Results") in headings
    themes = headings[headings.index(("Heading 1", "Results")) + 1 :]
    assert themes == [
        ("Heading 2", "Craft of the alliance"),
        ("Heading 3", "Repairing ruptures"),
        ("Heading 2", "Edges of the work"),
    ]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Central organising concept: The alliance is made, not found." in text
    assert "Definition: How therapists build it." in text
    assert "What it is not: Not the client's motivation." in text
    # The quotes sit under their theme's heading.
    order = [p.text for p in document.paragraphs]
    assert (
        order.index("Craft of the alliance")
        < order.index("I listen first (P1)")
        < order.index("Repairing ruptures")
        < order.index("we repair it together (P1)")
        < order.index("Edges of the work")
    )


def test_table4_is_a_word_table(client_for, study, coder_a, study_report):
    document = read(export(client_for(coder_a), study))
    assert TABLE_TITLE in [p.text for p in document.paragraphs]
    (table,) = document.tables
    assert table.style.name == "Table Grid"
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows == [
        ["Theme", "Subthemes", "Definition", "Participants"],
        ["Craft of the alliance", "Repairing ruptures", "How therapists build it.", "P1, P2"],
        ["Edges of the work", "—", "Where it stops.", "P2, P3"],
    ]
    header = table.rows[0]
    assert all(cell.paragraphs[0].runs[0].bold for cell in header.cells)
    assert header._tr.trPr.xpath("./w:tblHeader")  # repeated on every page


def test_the_map_is_one_picture_17_cm_wide_at_300_dpi(client_for, study, coder_a, study_report):
    document = read(export(client_for(coder_a), study))
    (picture,) = document.inline_shapes
    assert picture.width == Cm(17)
    assert FIGURE_CAPTION in [p.text for p in document.paragraphs]
    blip = picture._inline.graphic.graphicData.pic.blipFill.blip.embed
    image = Image.open(io.BytesIO(document.part.related_parts[blip].blob))
    assert image.format == "PNG"
    assert image.width == 2008  # 170 mm at 300 dpi
    assert round(image.info["dpi"][0]) == 300
    assert picture.height == round(Cm(17) * image.height / image.width)


def test_the_map_picture_draws_the_themes(study, coder_a, study_report):
    png = map_png(map_for(member(study, coder_a), codes=False).without_codes())
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = {colour for _n, colour in image.getcolors(maxcolors=1_000_000)}
    assert (0xE6, 0xED, 0xF5) in colours  # a theme's box
    assert (0xF5, 0xF8, 0xFB) in colours  # a subtheme's box
    assert map_png(ThematicMap([], [])) is None


def test_the_methods_are_in_the_docx(client_for, study, coder_a, study_report):
    text = "\n".join(p.text for p in read(export(client_for(coder_a), study)).paragraphs)
    assert "Type of thematic analysis: reflexive thematic analysis." in text
    assert "No intercoder agreement statistics were computed" in text
    assert "kappa" not in text.lower()


def test_a_quote_that_no_longer_matches_is_marked(client_for, study, lead, coder_a, study_report):
    transcript_correct(
        member=member(study, lead), transcript=study_report["people"][1], turn_position=2,
        text="Slowly, I listened first, and the small talk matters more than people think.",
        reason="a typing error",
    )  # fmt: skip
    document = read(export(client_for(coder_a), study))
    # The words the transcript has now, marked; the words no longer in it are not exported.
    assert f"I listened first (P1) {CHECK}" in quotes(document)
    assert "1 quote no longer matches the transcript" in "\n".join(
        p.text for p in document.paragraphs
    )


def test_a_quote_whose_consent_was_withdrawn_is_left_out(
    client_for, study, custodian, coder_a, study_report
):
    consent(study_report["people"][2].participant, False, by=custodian)
    document = read(export(client_for(coder_a), study))
    assert quotes(document) == ["I listen first (P1)", "we repair it together (P1)"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2 chosen extracts were left out" in text
    assert "[No extracts chosen for this theme yet.]" in text  # "Edges of the work"


def test_no_vault_data_in_the_docx(client_for, study, coder_a, study_report):
    content = export(client_for(coder_a), study)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    for canary in (CANARY_NAME, CANARY_CONTACT, "zq-orig-"):
        assert canary.encode() not in everything
    assert ConsentRecord.objects.count() == 3  # the records were there to leak


def test_the_export_is_audited(client_for, study, coder_a, study_report):
    export(client_for(coder_a), study)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.details["what"] == "report"
    assert event.details["quotes"] == 4 and event.details["withheld"] == 0
    assert len(event.details["sha256"]) == 64
    read_event = AuditEvent.objects.filter(action=AuditEvent.Action.VAULT_READ).first()
    assert read_event.details == {"purpose": "quotation consent", "participants": 3}


def test_an_outsider_cannot_export(client_for, study, outsider, study_report):
    response = client_for(outsider).get(reverse("exchange-report-docx", args=[study.slug]))
    assert response.status_code == 404


def test_the_command(study, coder_a, study_report, tmp_path):
    out = tmp_path / "results.docx"
    stdout = io.StringIO()
    call_command("export_report", study.slug, str(out), "--as", "coder_a", stdout=stdout)
    assert "4 quotes" in stdout.getvalue()
    assert len(quotes(Document(str(out)))) == 4
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == coder_a and event.details["file"] == "results.docx"
    for args, message in [
        (["no-such-study", str(out)], "no study with the slug"),
        ([study.slug, str(tmp_path / "results.pdf")], "must end in .docx"),
        ([study.slug, str(tmp_path / "missing" / "r.docx")], "does not exist"),
        ([study.slug, str(out), "--as", "nobody"], "no account named"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("export_report", *args)


def test_libreoffice_converts_it_to_pdf(client_for, study, coder_a, study_report, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip(
            "LibreOffice is not installed on this machine (neither `libreoffice` nor `soffice` "
            "is on PATH): the PDF conversion is tested where it is."
        )
    source = tmp_path / "report.docx"
    source.write_bytes(export(client_for(coder_a), study))
    subprocess.run(  # noqa: S603
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
