"""REFI-QDA export: the .qdpx project and the .qdc codebook, from the database through the blind
rule to files that the official schemas accept, and the command and downloads that make them."""

import hashlib
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from lxml import etree

from coding.codebook import code_redefine, code_retire
from coding.models import PALETTE, Code
from coding.notes import journal_entry_add, memo_add
from coding.rounds import round_open, round_unblind
from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from exchange.qdpx import data, export, validate, writer
from exchange.qdpx.export import InvalidExport, export_codebook, export_study
from exchange.qdpx.guids import normalise, user_guid
from studies.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    AuditEvent,
    Membership,
    Role,
)
from tests.test_canary import CANARY_PARTS, canary_study  # noqa: F401 (a fixture)
from transcripts.models import Transcript, TranscriptState

pytestmark = pytest.mark.django_db

NS = {"q": "urn:QDA-XML:project:1.0"}
CB = {"c": "urn:QDA-XML:codebook:1.0"}
SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
# The official files' SHA-256 (REFI-QDA 1.0, March 2019: Project-mrt2019.xsd with its MIT notice,
# and Codebook.xsd), as published; see exchange/schemas/LICENSE for where they come from.
OFFICIAL = {
    "Project.xsd": "7841112e27897debf996f76209b9c5a5d074d66c1297a2f19f5ef250d29303bd",
    "Codebook.xsd": "bc4706a6fdb736cc3248de1753366f2b1f5b13e6828d319cea2874deb7e61b52",
}
LABEL = "zq-canary-7f3a"
CANARY_MEMO = "zq-canary-memo-1b2c"


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def span(transcript, words: str) -> tuple[int, int]:
    text = transcript.versions.order_by("-number").first().text
    start = text.index(words)
    return start, start + len(words)


def code_words(who: Membership, transcript, words: str, **kwargs):
    start, end = span(transcript, words)
    return coding_apply(member=who, transcript=transcript, start=start, end=end, **kwargs)


def schema(name: str) -> etree.XMLSchema:
    """The schema, loaded here independently of the exporter's own loader."""
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def qde(content: bytes) -> etree._Element:
    return etree.fromstring(unzip(content)["project.qde"])


def users_by_guid(root) -> dict[str, str]:
    return {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", NS)}


@pytest.fixture
def analysed(study, lead, coder_a, coder_b):
    """Two locked transcripts (one with an emoji before the coded words), a third not locked;
    codes in a hierarchy; both coders' codings, one passage coded by both; memos on a coding, a
    code and a transcript; attributes of every kind."""
    t1 = make_locked_transcript(study, "P1")
    t2 = make_locked_transcript(
        study, "P2", turns=[("I", "What helps?"), ("P", "Naming the rupture, then repair.")]
    )
    draft = make_locked_transcript(
        study, "P3", turns=[("I", "Hello?"), ("P", "Not anonymised yet.")]
    )
    Transcript.objects.filter(pk=draft.pk).update(
        state=TranscriptState.REVIEW, locked_at=None, title="Interview with P3 (draft)"
    )
    lead_m, a, b = member(study, lead), member(study, coder_a), member(study, coder_b)
    parent = code_create(member=lead_m, label="alliance", description="The working bond.")
    child = code_create(member=lead_m, label="listening", colour=PALETTE[2])
    code_redefine(
        member=lead_m,
        code=child,
        description="Attending before acting.",
        kind=Code.Kind.SEMANTIC,
        colour=PALETTE[2],
        parent=parent,
    )
    (a_listen,) = code_words(a, t1, "I listen first", codes=[child])
    (b_listen,) = code_words(b, t1, "I listen first", new_label="first contact")
    (a_repair,) = code_words(a, t2, "then repair", new_label="repair")
    memo_add(member=a, coding=a_listen, text="Listening comes before any technique.")
    memo_add(member=lead_m, code=parent, text="Broad on purpose.")
    memo_add(member=b, transcript=t2, text="A short interview.")
    journal_entry_add(member=a, title="Private doubt", text="zq-journal-secret", shared=False)
    years = AttributeDefinition.objects.create(
        study=study, name="Years of practice", kind=AttributeKind.INTEGER, position=1
    )
    modality = AttributeDefinition.objects.create(
        study=study,
        name="Modality",
        kind=AttributeKind.CHOICE,
        choices=["CBT", "psychodynamic"],
        position=2,
    )
    interviewed = AttributeDefinition.objects.create(
        study=study, name="Interviewed", kind=AttributeKind.DATE, position=3
    )
    setting = AttributeDefinition.objects.create(
        study=study, name="Setting", kind=AttributeKind.TEXT, position=4
    )
    p1 = t1.participant
    for attribute, value in [
        (years, "12"),
        (modality, "CBT"),
        (interviewed, "2025-03-04"),
        (setting, "NHS clinic"),
    ]:
        AttributeValue.objects.create(participant=p1, attribute=attribute, value=value)
    return {
        "t1": t1,
        "t2": t2,
        "draft": draft,
        "parent": parent,
        "child": child,
        "a_listen": a_listen,
        "b_listen": b_listen,
        "a_repair": a_repair,
        "attributes": (years, modality, interviewed, setting),
    }


# The file --------------------------------------------------------------------------------------


class TestTheProjectFile:
    def test_it_is_valid_against_the_official_project_schema(self, study, custodian, analysed):
        content = export_study(member(study, custodian)).content
        document = etree.fromstring(unzip(content)["project.qde"])
        project_xsd = schema("Project.xsd")
        assert project_xsd.validate(document), project_xsd.error_log
        assert document.tag == "{urn:QDA-XML:project:1.0}Project"
        # Child order as the schema's sequence has it, and no empty container.
        children = [etree.QName(child).localname for child in document]
        assert children == [
            "Users",
            "CodeBook",
            "Variables",
            "Cases",
            "Sources",
            "Notes",
            "Sets",
            "Description",
        ]
        assert all(
            len(child) for child in document if etree.QName(child).localname != "Description"
        )

    def test_the_copied_schemas_are_the_official_ones(self):
        for name, digest in OFFICIAL.items():
            assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name
        assert "MIT license" in (SCHEMAS / "Project.xsd").read_text()
        assert "Permission is hereby granted" in (SCHEMAS / "LICENSE").read_text()

    def test_the_zip_holds_project_qde_and_one_plain_text_file_per_locked_transcript(
        self, study, custodian, analysed
    ):
        files = unzip(export_study(member(study, custodian)).content)
        root = etree.fromstring(files["project.qde"])
        sources = root.findall("q:Sources/q:TextSource", NS)
        expected = {
            f"sources/{s.get('plainTextPath').removeprefix('internal://')}" for s in sources
        }
        assert set(files) == {"project.qde", *expected}
        assert len(sources) == 2  # the draft is not locked
        for source in sources:
            assert source.get("plainTextPath").startswith("internal://")
            raw = files[f"sources/{source.get('plainTextPath').removeprefix('internal://')}"]
            assert not raw.startswith(b"\xef\xbb\xbf")
            assert b"\r" not in raw
            text = raw.decode("utf-8")
            transcript = Transcript.objects.get(uuid=source.get("guid"))
            assert source.get("name") == transcript.title
            assert text == transcript.versions.order_by("-number").first().text
            assert "\n" in text

    def test_offsets_count_code_points_after_an_emoji(self, study, custodian, analysed):
        files = unzip(export_study(member(study, custodian)).content)
        root = etree.fromstring(files["project.qde"])
        t1 = analysed["t1"]
        source = root.find(f"q:Sources/q:TextSource[@guid='{t1.uuid}']", NS)
        text = files[f"sources/{source.get('plainTextPath')[11:]}"].decode()
        assert "🙂" in text[: text.index("I listen first")]
        (selection,) = [
            s for s in source.iterfind("q:PlainTextSelection", NS) if "listen" in s.get("name")
        ]
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        assert text[start:end] == "I listen first" == selection.get("name")
        # In UTF-16 units (NVivo's count) the start would be one further on.
        assert len(text[:start].encode("utf-16-le")) // 2 == start + 1

    def test_each_coders_codings_are_there_with_their_creating_user(
        self, study, custodian, analysed
    ):
        root = qde(export_study(member(study, custodian)).content)
        users = users_by_guid(root)
        assert set(users.values()) >= {"coder_a", "coder_b", "lead", "custodian"}
        assert users[user_guid(study.slug, "coder_a")] == "coder_a"
        shared = [
            s
            for s in root.iterfind(".//q:PlainTextSelection", NS)
            if s.get("name") == "I listen first"
        ]
        assert len(shared) == 1  # one selection per distinct span, both coders' codings on it
        codings = shared[0].findall("q:Coding", NS)
        layers = {
            users[c.get("creatingUser")]: c.find("q:CodeRef", NS).get("targetGUID") for c in codings
        }
        assert layers == {
            "coder_a": str(analysed["child"].uuid),
            "coder_b": str(analysed["b_listen"].code.uuid),
        }
        assert {c.get("guid") for c in codings} == {
            str(analysed["a_listen"].uuid),
            str(analysed["b_listen"].uuid),
        }
        assert all("T" in c.get("creationDateTime") for c in codings)
        assert len(root.findall(".//q:Coding", NS)) == 3

    def test_codes_keep_their_hierarchy_colours_and_descriptions(self, study, custodian, analysed):
        root = qde(export_study(member(study, custodian)).content)
        top = root.find(f"q:CodeBook/q:Codes/q:Code[@guid='{analysed['parent'].uuid}']", NS)
        assert top.get("name") == "alliance"
        assert top.get("isCodable") == "true"
        assert top.find("q:Description", NS).text == "The working bond."
        child = top.find(f"q:Code[@guid='{analysed['child'].uuid}']", NS)
        assert child.get("name") == "listening"
        assert child.get("color") == PALETTE[2]
        assert child.find("q:Description", NS).text == "Attending before acting."
        names = {c.get("name") for c in root.iterfind("q:CodeBook/q:Codes/q:Code", NS)}
        assert names == {"alliance", "first contact", "repair"}

    def test_memos_are_notes_referenced_from_what_they_are_about(self, study, custodian, analysed):
        root = qde(export_study(member(study, custodian)).content)
        notes = {n.get("guid"): n for n in root.iterfind("q:Notes/q:Note", NS)}
        by_text = {n.find("q:PlainTextContent", NS).text: g for g, n in notes.items()}
        assert set(by_text) == {
            "Listening comes before any technique.",
            "Broad on purpose.",
            "A short interview.",
        }
        users = users_by_guid(root)
        on_coding = by_text["Listening comes before any technique."]
        assert users[notes[on_coding].get("creatingUser")] == "coder_a"
        coding = root.find(f".//q:Coding[@guid='{analysed['a_listen'].uuid}']", NS)
        assert [r.get("targetGUID") for r in coding.iterfind("q:NoteRef", NS)] == [on_coding]
        selection = coding.getparent()
        assert [r.get("targetGUID") for r in selection.iterfind("q:NoteRef", NS)] == [on_coding]
        code = root.find(f".//q:Code[@guid='{analysed['parent'].uuid}']", NS)
        assert [r.get("targetGUID") for r in code.iterfind("q:NoteRef", NS)] == [
            by_text["Broad on purpose."]
        ]
        source = root.find(f".//q:TextSource[@guid='{analysed['t2'].uuid}']", NS)
        assert [r.get("targetGUID") for r in source.iterfind("q:NoteRef", NS)] == [
            by_text["A short interview."]
        ]

    def test_journal_entries_and_unlocked_text_stay_home(self, study, custodian, analysed):
        result = export_study(member(study, custodian))
        everything = b"".join(unzip(result.content).values())
        assert b"zq-journal-secret" not in everything
        assert b"Not anonymised yet" not in everything
        assert result.summary.not_locked == ["Interview with P3 (draft)"]
        assert any("Journal entries" in line for line in result.summary.lines())

    def test_participants_are_cases_with_their_attributes_as_variables(
        self, study, custodian, analysed
    ):
        root = qde(export_study(member(study, custodian)).content)
        years, modality, interviewed, setting = analysed["attributes"]
        variables = {v.get("guid"): v for v in root.iterfind("q:Variables/q:Variable", NS)}
        assert {(v.get("name"), v.get("typeOfVariable")) for v in variables.values()} == {
            ("Years of practice", "Integer"),
            ("Modality", "Text"),
            ("Interviewed", "Date"),
            ("Setting", "Text"),
        }
        assert "CBT, psychodynamic" in variables[str(modality.uuid)].find("q:Description", NS).text
        cases = {c.get("name"): c for c in root.iterfind("q:Cases/q:Case", NS)}
        assert set(cases) == {"P1", "P2", "P3"}
        p1 = cases["P1"]
        assert p1.get("guid") == str(analysed["t1"].participant.uuid)
        values = {
            v.find("q:VariableRef", NS).get("targetGUID"): (
                etree.QName(v[1]).localname,
                v[1].text,
            )
            for v in p1.iterfind("q:VariableValue", NS)
        }
        assert values == {
            str(years.uuid): ("IntegerValue", "12"),
            str(modality.uuid): ("TextValue", "CBT"),
            str(interviewed.uuid): ("DateValue", "2025-03-04"),
            str(setting.uuid): ("TextValue", "NHS clinic"),
        }
        assert [r.get("targetGUID") for r in p1.iterfind("q:SourceRef", NS)] == [
            str(analysed["t1"].uuid)
        ]
        assert cases["P3"].find("q:SourceRef", NS) is None  # its transcript is not locked

    def test_guids_are_the_same_in_a_second_export(self, study, custodian, analysed):
        first = qde(export_study(member(study, custodian)).content)
        second = qde(export_study(member(study, custodian)).content)

        def guids(root):
            return sorted(e.get("guid") for e in root.iter() if e.get("guid"))

        assert guids(first) == guids(second)

    def test_a_windows_line_end_in_the_text_moves_the_offsets_with_it(
        self, study, custodian, coder_a
    ):
        transcript = make_locked_transcript(study, "P9", turns=[("I", "Why?"), ("P", "Because.")])
        version = transcript.versions.get()
        version.text = "Why?\r\n\r\nBecause."
        version.save()
        code_words(member(study, coder_a), transcript, "Because", new_label="reason")
        files = unzip(export_study(member(study, custodian)).content)
        (text_file,) = [name for name in files if name.startswith("sources/")]
        text = files[text_file].decode()
        assert text == "Why?\n\nBecause."
        selection = etree.fromstring(files["project.qde"]).find(".//q:PlainTextSelection", NS)
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        assert text[start:end] == "Because"

    def test_the_export_is_audited_with_its_hash(self, study, custodian, analysed):
        result = export_study(member(study, custodian))
        event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
        assert event.actor == custodian
        assert event.study == study
        assert event.details["sha256"] == hashlib.sha256(result.content).hexdigest()
        assert event.details["format"] == "qdpx"
        assert event.details["sources"] == 2
        assert event.details["codings"] == 3


# What may never leave --------------------------------------------------------------------------


class TestWhatNeverLeaves:
    @pytest.mark.parametrize("persona", ["custodian", "lead", "coder_a", "viewer"])
    def test_no_vault_data_in_the_export(self, canary_study, personas, persona, coder_a):  # noqa: F811
        study, participant = canary_study
        transcript = make_locked_transcript(study, participant.pseudonym)
        code_words(member(study, coder_a), transcript, "I listen first", new_label="listening")
        result = export_study(member(study, personas[persona]))
        files = unzip(result.content)
        assert any(name.startswith("sources/") for name in files)
        for name, content in files.items():
            assert not any(part.encode() in content for part in CANARY_PARTS), name
        assert b"persephone@" not in b"".join(files.values())
        assert b"WIG-1" not in b"".join(files.values())

    @pytest.fixture
    def blind(self, study, lead, coder_a, coder_b):
        t1 = make_locked_transcript(study, "P1")
        t2 = make_locked_transcript(study, "P2")
        shared = code_create(member=member(study, lead), label="shared repair")
        coding_round = round_open(
            member=member(study, lead), title="Round 1", transcripts=[t1], coders=[coder_a, coder_b]
        )
        b = member(study, coder_b)
        (canary,) = code_words(b, t1, "I name it", new_label=LABEL)
        memo_add(member=b, coding=canary, text=CANARY_MEMO)
        memo_add(member=b, code=canary.code, text=CANARY_MEMO + "-code")
        (b_shared,) = code_words(b, t1, "we repair it together", codes=[shared])
        memo_add(member=b, coding=b_shared, text=CANARY_MEMO + "-shared")
        # Coder B's code used outside the round too: still hidden.
        code_words(b, t2, "I name it", codes=[canary.code])
        (own,) = code_words(member(study, coder_a), t1, "café small talk", new_label="small talk")
        return {"round": coding_round, "canary": canary, "own": own, "shared": shared}

    def test_a_blind_coder_exports_only_their_own_layer(self, study, coder_a, blind):
        result = export_study(member(study, coder_a))
        everything = b"".join(unzip(result.content).values())
        assert LABEL.encode() not in everything
        assert CANARY_MEMO.encode() not in everything
        root = qde(result.content)
        users = users_by_guid(root)
        assert {users[c.get("creatingUser")] for c in root.iterfind(".//q:Coding", NS)} == {
            "coder_a"
        }
        assert "coder_b" not in users.values()
        assert {c.get("name") for c in root.iterfind(".//q:Code", NS)} == {
            "small talk",
            "shared repair",  # the lead's code, though not coder B's coding of it
        }
        assert result.summary.blinded
        assert any("blind round" in line for line in result.summary.lines())

    def test_a_viewer_exports_no_coding_of_an_open_round(self, study, viewer, blind):
        content = export_study(member(study, viewer)).content
        assert LABEL.encode() not in b"".join(unzip(content).values())
        root = qde(content)
        assert {c.get("name") for c in root.iterfind(".//q:Code", NS)} == {"shared repair"}
        assert root.find(".//q:Coding", NS) is None

    def test_after_unblinding_the_other_layer_comes_along(self, study, lead, coder_a, blind):
        round_unblind(member=member(study, lead), coding_round=blind["round"])
        result = export_study(member(study, coder_a))
        everything = b"".join(unzip(result.content).values())
        assert LABEL.encode() in everything and CANARY_MEMO.encode() in everything
        root = qde(result.content)
        users = users_by_guid(root)
        assert {users[c.get("creatingUser")] for c in root.iterfind(".//q:Coding", NS)} == {
            "coder_a",
            "coder_b",
        }

    def test_the_blind_codebook_leaves_out_the_co_coders_codes(self, study, coder_a, blind):
        content = export_codebook(member(study, coder_a)).content
        assert LABEL.encode() not in content
        assert b"small talk" in content


# The codebook ----------------------------------------------------------------------------------


class TestTheCodebook:
    def test_it_is_valid_against_the_official_codebook_schema(self, study, custodian, analysed):
        content = export_codebook(member(study, custodian)).content
        root = etree.fromstring(content)
        codebook_xsd = schema("Codebook.xsd")
        assert codebook_xsd.validate(root), codebook_xsd.error_log
        parent = root.find(f"c:Codes/c:Code[@guid='{analysed['parent'].uuid}']", CB)
        child = parent.find(f"c:Code[@guid='{analysed['child'].uuid}']", CB)
        assert child.get("color") == PALETTE[2]
        assert child.find("c:Description", CB).text == "Attending before acting."
        event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
        assert event.details["format"] == "qdc"
        assert event.details["sha256"] == hashlib.sha256(content).hexdigest()

    def test_retired_codes_stay_out_of_the_codebook_but_keep_their_codings_in_the_project(
        self, study, lead, custodian, analysed
    ):
        repair = analysed["a_repair"].code
        code_retire(member=member(study, lead), code=repair, reason="Folded into alliance.")
        assert b"repair" not in export_codebook(member(study, custodian)).content.replace(
            b"Naming the rupture, then repair", b""
        )
        root = qde(export_study(member(study, custodian)).content)
        assert root.find(f".//q:Code[@guid='{repair.uuid}']", NS) is not None

    def test_an_empty_codebook_is_refused_with_a_reason(self, study, custodian):
        with pytest.raises(InvalidExport, match="needs at least one"):
            export_codebook(member(study, custodian))
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


# Nothing invalid is ever written ---------------------------------------------------------------


class TestInvalidProjectsAreRefused:
    @pytest.fixture
    def broken(self, monkeypatch):
        real = export.project_for

        def breaking(member):
            project, summary = real(member)
            project.sources[0].selections[0].end = len(project.sources[0].text) + 5
            return project, summary

        monkeypatch.setattr(export, "project_for", breaking)

    def test_the_exporter_refuses_and_writes_no_file(
        self, study, custodian, analysed, broken, tmp_path
    ):
        out = tmp_path / "study.qdpx"
        with pytest.raises(InvalidExport, match="outside its text") as error:
            export_study(member(study, custodian), out=out)
        assert "nothing was written" in str(error.value)
        assert not out.exists()
        assert list(tmp_path.iterdir()) == []
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()

    def test_the_command_says_why_in_one_line(self, study, analysed, broken, tmp_path):
        out = tmp_path / "study.qdpx"
        with pytest.raises(CommandError) as error:
            call_command("export_qdpx", study.slug, str(out))
        assert "outside its text" in str(error.value) and "\n" not in str(error.value)
        assert not out.exists()

    def test_the_download_shows_the_reason_instead(
        self, study, custodian, analysed, broken, client_for
    ):
        response = client_for(custodian).get(reverse("exchange-qdpx-export", args=[study.slug]))
        assert response.status_code == 409
        assert "Content-Disposition" not in response
        assert "outside its text" in response.text
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


# The command -----------------------------------------------------------------------------------


class TestTheCommand:
    def test_it_writes_the_project_and_says_what_is_in_it(
        self, study, custodian, analysed, tmp_path, capsys
    ):
        out = tmp_path / "study.qdpx"
        call_command("export_qdpx", study.slug, str(out))
        printed = capsys.readouterr().out
        assert "2 transcripts" in printed and "3 codings" in printed
        assert "Interview with P3 (draft)" in printed  # left out, and said so
        assert f"Wrote {out}" in printed
        assert schema("Project.xsd").validate(
            etree.fromstring(unzip(out.read_bytes())["project.qde"])
        )
        event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
        assert event.actor == custodian  # the default: the study's first custodian
        assert event.details["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()

    def test_as_a_blind_coder(self, study, lead, coder_a, coder_b, tmp_path):
        t1 = make_locked_transcript(study, "P1")
        round_open(
            member=member(study, lead),
            title="Round",
            transcripts=[t1],
            coders=[coder_a, coder_b],
        )
        code_words(member(study, coder_b), t1, "I name it", new_label=LABEL)
        out = tmp_path / "a.qdpx"
        call_command("export_qdpx", study.slug, str(out), "--as", "coder_a")
        assert LABEL.encode() not in b"".join(unzip(out.read_bytes()).values())
        assert AuditEvent.objects.get(action=AuditEvent.Action.EXPORT).actor == coder_a

    def test_codebook(self, study, analysed, tmp_path):
        out = tmp_path / "codes.qdc"
        call_command("export_qdpx", study.slug, str(out), "--codebook")
        assert schema("Codebook.xsd").validate(etree.fromstring(out.read_bytes()))

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            (["no-such-study", "{tmp}/x.qdpx"], "no study with the slug 'no-such-study'"),
            (["{study}", "{tmp}/x.qdpx", "--as", "nobody"], "no account named 'nobody'"),
            (["{study}", "{tmp}/x.qdpx", "--as", "outsider"], "outsider is not a member of"),
            (["{study}", "{tmp}/missing/x.qdpx"], "does not exist"),
            (["{study}", "{tmp}"], "is a folder"),
            (["{study}", "{tmp}/x.qdc", "--codebook"], "needs at least one"),
        ],
    )
    def test_failures_are_one_line_and_write_nothing(
        self, study, outsider, tmp_path, arguments, message
    ):
        filled = [a.format(tmp=tmp_path, study=study.slug) for a in arguments]
        with pytest.raises(CommandError, match=message) as error:
            call_command("export_qdpx", *filled)
        assert "\n" not in str(error.value)
        assert list(tmp_path.iterdir()) == []
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()

    def test_a_study_without_a_custodian_needs_as(self, study, tmp_path):
        Membership.objects.filter(study=study, role=Role.CUSTODIAN).update(role=Role.LEAD)
        with pytest.raises(CommandError, match="give --as USERNAME"):
            call_command("export_qdpx", study.slug, str(tmp_path / "x.qdpx"))


# The pages -------------------------------------------------------------------------------------


class TestTheDownloads:
    @pytest.mark.parametrize("persona", ["custodian", "lead", "coder_a", "viewer"])
    def test_every_member_downloads_and_it_is_audited(
        self, study, analysed, client_for, personas, persona
    ):
        response = client_for(personas[persona]).get(
            reverse("exchange-qdpx-export", args=[study.slug])
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="{study.slug}-refi-qda-')
        assert disposition.endswith('.qdpx"')
        assert schema("Project.xsd").validate(qde(response.content).getroottree())
        event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
        assert event.actor == personas[persona]
        assert event.details["sha256"] == hashlib.sha256(response.content).hexdigest()
        assert event.address == "127.0.0.1"

    def test_the_codebook_download(self, study, analysed, client_for, viewer):
        response = client_for(viewer).get(reverse("exchange-qdc-export", args=[study.slug]))
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith('.qdc"')
        assert response["Content-Type"].startswith("application/xml")
        assert AuditEvent.objects.get(action=AuditEvent.Action.EXPORT).actor == viewer

    def test_an_empty_codebook_is_explained_not_downloaded(self, study, client_for, lead):
        response = client_for(lead).get(reverse("exchange-qdc-export", args=[study.slug]))
        assert response.status_code == 409
        assert "needs at least one" in response.text

    @pytest.mark.parametrize(
        "name", ["exchange-home", "exchange-qdpx-export", "exchange-qdc-export"]
    )
    def test_an_outsider_gets_404(self, study, analysed, client_for, outsider, name):
        assert client_for(outsider).get(reverse(name, args=[study.slug])).status_code == 404
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()

    @pytest.mark.parametrize("name", ["exchange-qdpx-export", "exchange-qdc-export"])
    def test_a_post_is_refused(self, study, analysed, client_for, lead, name):
        assert client_for(lead).post(reverse(name, args=[study.slug])).status_code == 405
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()

    def test_the_exchange_page_lists_the_downloads(self, study, analysed, client_for, coder_a):
        response = client_for(coder_a).get(reverse("exchange-home", args=[study.slug]))
        assert response.status_code == 200
        assert reverse("exchange-qdpx-export", args=[study.slug]) in response.text
        assert reverse("exchange-qdc-export", args=[study.slug]) in response.text
        assert "Interview with P3 (draft)" in response.text
        assert "2 locked transcripts will be exported" in response.text
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()

    def test_the_page_tells_a_blind_coder(self, study, lead, coder_a, coder_b, client_for):
        t1 = make_locked_transcript(study, "P1")
        round_open(
            member=member(study, lead), title="Round", transcripts=[t1], coders=[coder_a, coder_b]
        )
        response = client_for(coder_a).get(reverse("exchange-home", args=[study.slug]))
        assert 'id="exchange-blinded"' in response.text


def grow(study, lead, coder_a, coder_b, n: int) -> None:
    """n transcripts, each coded by both coders with memos: the data that queries could grow with."""
    for i in range(n):
        transcript = make_locked_transcript(study, f"P{10 + i}")
        for who in (coder_a, coder_b):
            (coding,) = code_words(
                member(study, who), transcript, "I listen first", new_label=f"c{i}"
            )
            memo_add(member=member(study, who), coding=coding, text=f"memo {i}")
        memo_add(member=member(study, lead), transcript=transcript, text="about it")
    attribute = AttributeDefinition.objects.get_or_create(study=study, name="Band")[0]
    for participant in study.participants.all():
        AttributeValue.objects.get_or_create(
            participant=participant, attribute=attribute, defaults={"value": "x"}
        )


class TestQueryCounts:
    @pytest.mark.parametrize("n", [1, 6])
    def test_the_export_is_a_constant_number_of_queries(
        self, study, lead, coder_a, coder_b, client_for, django_assert_num_queries, n
    ):
        grow(study, lead, coder_a, coder_b, n)
        client = client_for(lead)
        url = reverse("exchange-qdpx-export", args=[study.slug])
        with django_assert_num_queries(EXPORT_QUERIES):
            assert client.get(url).status_code == 200

    @pytest.mark.parametrize("n", [1, 6])
    def test_the_codebook_is_a_constant_number_of_queries(
        self, study, lead, coder_a, coder_b, client_for, django_assert_num_queries, n
    ):
        grow(study, lead, coder_a, coder_b, n)
        client = client_for(lead)
        url = reverse("exchange-qdc-export", args=[study.slug])
        with django_assert_num_queries(CODEBOOK_QUERIES):
            assert client.get(url).status_code == 200

    @pytest.mark.parametrize("n", [1, 6])
    def test_the_page_is_a_constant_number_of_queries(
        self, study, lead, coder_a, coder_b, client_for, django_assert_num_queries, n
    ):
        grow(study, lead, coder_a, coder_b, n)
        client = client_for(lead)
        url = reverse("exchange-home", args=[study.slug])
        with django_assert_num_queries(PAGE_QUERIES):
            assert client.get(url).status_code == 200


# session, user and membership; the export's own reads; the audit row; the session saved (and
# the page: the study switcher's memberships).
EXPORT_QUERIES = 18
CODEBOOK_QUERIES = 8
PAGE_QUERIES = 10


# The pure parts --------------------------------------------------------------------------------


def tiny_project(**changes) -> data.Project:
    user = data.User(guid="11111111-1111-1111-1111-111111111111", name="coder_a")
    code = data.Code(guid="22222222-2222-2222-2222-222222222222", name="c", color="#aabbcc")
    source = data.Source(
        guid="33333333-3333-3333-3333-333333333333",
        name="s",
        text="Hi 🙂 there",
        text_guid="44444444-4444-4444-4444-444444444444",
        selections=[
            data.Selection(
                guid="55555555-5555-5555-5555-555555555555",
                start=5,
                end=10,
                codings=[
                    data.Coding(
                        guid="66666666-6666-6666-6666-666666666666", code=code.guid, user=user.guid
                    )
                ],
            )
        ],
    )
    project = data.Project(name="p", users=[user], codes=[code], sources=[source])
    for name, value in changes.items():
        setattr(project, name, value)
    return project


class TestThePureParts:
    def test_a_tiny_project_is_valid(self):
        files = unzip(writer.write_qdpx(tiny_project()))
        assert set(files) == {"project.qde", "sources/44444444-4444-4444-4444-444444444444.txt"}
        assert files["sources/44444444-4444-4444-4444-444444444444.txt"].decode()[5:10] == "there"

    def test_a_dangling_reference_is_refused(self):
        project = tiny_project()
        project.sources[0].selections[0].codings[0].code = "99999999-9999-9999-9999-999999999999"
        with pytest.raises(InvalidExport, match="refers to a code that is not in the project"):
            writer.write_qdpx(project)

    def test_a_guid_used_twice_is_refused_whatever_its_case(self):
        project = tiny_project()
        project.codes[0].guid = "{33333333-3333-3333-3333-333333333333}"
        project.sources[0].selections[0].codings[0].code = project.codes[0].guid
        with pytest.raises(InvalidExport, match="used 2 times"):
            writer.write_qdpx(project)

    @pytest.mark.parametrize("colour", ["#aabbccdd", "aabbcc", "#ggg", "#abcd"])
    def test_a_colour_lxml_would_let_through_is_refused(self, colour):
        project = tiny_project()
        project.codes[0].color = colour
        with pytest.raises(InvalidExport, match="not #RRGGBB or #RGB"):
            writer.write_qdpx(project)

    def test_a_carriage_return_or_byte_order_mark_is_refused(self):
        project = tiny_project()
        project.sources[0].text = "\ufeffHi\r\n there"
        problems = validate.project_problems(project)
        assert any("byte-order mark" in p for p in problems)
        assert any("carriage return" in p for p in problems)

    def test_a_value_of_the_wrong_type_is_refused(self):
        variable = data.Variable(
            guid="77777777-7777-7777-7777-777777777777", name="n", type="Integer"
        )
        case = data.Case(
            guid="88888888-8888-8888-8888-888888888888",
            name="P1",
            values=[data.VariableValue(variable=variable.guid, value="twelve")],
        )
        problems = validate.project_problems(tiny_project(variables=[variable], cases=[case]))
        assert problems == ["the case “P1” has 'twelve' for “n”, which holds Integer values"]

    def test_every_value_type_is_written_as_the_schema_wants(self):
        kinds = {
            "Text": "x",
            "Boolean": True,
            "Integer": 3,
            "Float": 1e-05,
            "Date": date(2025, 1, 2),
        }
        variables = [
            data.Variable(guid=f"{i:08d}-0000-0000-0000-000000000000", name=k, type=k)
            for i, k in enumerate(kinds)
        ]
        case = data.Case(
            guid="88888888-8888-8888-8888-888888888888",
            name="P1",
            values=[data.VariableValue(variable=v.guid, value=kinds[v.type]) for v in variables],
        )
        root = qde(writer.write_qdpx(tiny_project(variables=variables, cases=[case])))
        written = [v[1].text for v in root.iterfind(".//q:VariableValue", NS)]
        assert written == ["x", "true", "3", "0.00001", "2025-01-02"]

    def test_characters_xml_cannot_hold_are_replaced_in_the_xml_only(self):
        project = tiny_project()
        project.codes[0].description = "bell\x07"
        files = unzip(writer.write_qdpx(project))
        assert "bell\ufffd" in files["project.qde"].decode()

    def test_a_deep_code_tree_is_written(self):
        project = tiny_project()
        code = project.codes[0]
        for i in range(1000):
            child = data.Code(guid=f"{i:08d}-1111-1111-1111-111111111111", name=f"c{i}")
            code.children.append(child)
            code = child
        root = etree.fromstring(writer.project_xml(project), etree.XMLParser(huge_tree=True))
        assert len(root.findall(".//q:Code", NS)) == 1001

    def test_lf_text_moves_offsets_with_the_text(self):
        text = "\ufeffa\r\nb\rc\r\nd"
        new, remap = writer.lf_text(text)
        assert new == "a\nb\nc\nd"
        for old_offset, char in [(1, "a"), (4, "b"), (6, "c"), (9, "d")]:
            assert text[old_offset] == char and new[remap(old_offset)] == char
        assert remap(len(text)) == len(new)

    def test_guids_are_normalised_for_comparison(self):
        assert normalise("{AD68FBE7-E1EE-4A82-A279-23CC698C89EB}") == (
            "ad68fbe7-e1ee-4a82-a279-23cc698c89eb"
        )
        for bad in ["AD68FBE7", "{AD68FBE7-E1EE-4A82-A279-23CC698C89EB", "x"]:
            with pytest.raises(ValueError):
                normalise(bad)
