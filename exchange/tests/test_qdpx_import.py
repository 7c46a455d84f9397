"""REFI-QDA import: projects built with each tool's habits land every selection on the words it
meant; sources, cases, variables, users, codes and notes become transcripts in anonymisation
review, participants under fresh pseudonyms (names in the vault only), attributes, coder layers,
a code tree and memos; what cannot be imported is reported; a hostile or broken file is refused
with its reason and stores nothing; the page and the command."""

import io
import json
import re
import zipfile
from collections import Counter

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from lxml import etree

from coding.models import PALETTE, Code, CodeEvent, Coding, JournalEntry, Memo
from exchange.qdpx.importer import nearest_colour, qdpx_import
from exchange.tests.qdpx_files import (
    ATLAS,
    MAXQDA,
    NS,
    NVIVO,
    QUALCODER,
    TAGUETTE,
    Builder,
    Doc,
    Habits,
    Mark,
    qdpx,
    zip_of,
)
from studies.models import (
    AttributeDefinition,
    AttributeValue,
    AuditEvent,
    Identity,
    Membership,
    Participant,
    Role,
    SourceProject,
    Study,
)
from studies.tests.factories import make_participant
from transcripts.models import Candidate, Speaker, Transcript, TranscriptState, Turn

pytestmark = pytest.mark.django_db

MABEL = (
    "Interviewer: What did you have for breakfast? 🙂\n"
    "P1: Porridge for the baby 🙂, toast for me, and a cola.\n"
    "Interviewer: A cola, really?\n"
    "P1: Every day. Mabel Jones is my name, by the way, and the cola is my treat 🥤."
)
SIMON = (
    "Interviewer: Tell me about your mornings.\n"
    "Simon: I used to have a much bigger breakfast.\n"
    "These days I snack, mostly fruit 🍎 and nuts.\n"
    "Interviewer: Why the change?\n"
    "Simon: The damage done by fatty foods."
)


def docs() -> list[Doc]:
    """Two interviews, two coders; the same words coded by both, one passage with two codes."""
    return [
        Doc(
            "Mabel.txt",
            MABEL,
            [
                Mark("Porridge for the baby", ["food"], user="anna"),
                Mark("toast for me", ["food", "self-care"], user="anna"),
                Mark("a cola", ["drinks"], user="ben"),
                Mark("Every day", ["habits"], user="anna"),
                Mark("the cola is my treat", ["drinks", "self-care"], user="ben"),
                Mark("the cola is my treat", ["drinks"], user="anna"),
            ],
            case="Mabel Jones",
        ),
        Doc(
            "Simon.txt",
            SIMON,
            [
                Mark("a much bigger breakfast", ["food", "change"], user="anna"),
                Mark("mostly fruit 🍎 and nuts", ["food"], user="ben"),
                Mark("The damage done by fatty foods", ["change"], user="ben"),
            ],
            case="Simon",
        ),
    ]


def intended(documents: list[Doc]) -> Counter:
    """(source title, words, code, coder) for every coding the documents mean, once per coder
    and code and passage."""
    wanted = set()
    for index, doc in enumerate(documents, start=1):
        for mark in doc.marks:
            for code in mark.codes:
                wanted.add((f"P{index}", mark.words, code, mark.user))
    return Counter(wanted)


def landed(study) -> Counter:
    return Counter(
        (
            coding.version.transcript.participant.pseudonym,
            coding.version.text[coding.start : coding.end],
            coding.code.label,
            coding.coder.get_username(),
        )
        for coding in Coding.objects.filter(version__transcript__study=study).select_related(
            "version__transcript__participant", "code", "coder"
        )
    )


def new_study(content: bytes, user, **kwargs):
    return qdpx_import(content=content, user=user, new_study={}, **kwargs)


def rows() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


# Each tool's habits ------------------------------------------------------------------------------


TOOLS = {
    "nvivo": NVIVO,
    "atlas.ti": ATLAS,
    "maxqda": MAXQDA,
    "qualcoder": QUALCODER,
    "taguette": TAGUETTE,
    "standard": Habits(),
}


class TestEveryToolsHabits:
    @pytest.mark.parametrize("tool", TOOLS)
    def test_every_selection_lands_on_the_words_it_meant(self, tool, custodian):
        documents = docs()
        result = new_study(qdpx(documents, TOOLS[tool]), custodian)
        assert landed(result.study) == intended(documents)

    def test_nvivo_reads_utf16_units_with_the_cr_counted_from_sources(self, custodian):
        content = qdpx(docs(), NVIVO)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            text = archive.read(next(n for n in names if n.startswith("Sources/")))
        assert text.startswith(b"\xef\xbb\xbf") and b"\r\n" in text
        result = new_study(content, custodian)
        assert [line.reading for line in result.transcripts] == [
            "UTF-16 code units (as NVivo counts)"
        ] * 2
        assert all(
            "\r" not in t.versions.get().text for t in Transcript.objects.filter(study=result.study)
        )

    def test_nvivo_one_selection_per_coding_is_one_passage(self, custodian):
        result = new_study(qdpx(docs(), NVIVO), custodian)
        toast = Coding.objects.filter(
            version__transcript__study=result.study, code__label__in=["food", "self-care"]
        ).select_related("version")
        spans = {
            (c.start, c.end) for c in toast if c.version.text[c.start : c.end] == "toast for me"
        }
        assert len(spans) == 1

    def test_atlas_counts_crlf_once_in_a_qde_named_after_the_project(self, custodian):
        result = new_study(qdpx(docs(), ATLAS), custodian)
        assert {line.reading for line in result.transcripts} == {
            "code points, a CRLF line end counted once (as ATLAS.ti counts)"
        }
        assert all(
            "quoted selections match their words" in line.evidence for line in result.transcripts
        )

    def test_namespace_variants_and_braced_guids_are_read_and_said(self, custodian):
        result = new_study(qdpx(docs(), MAXQDA), custodian)
        assert result.namespace == "urn:QDA-XML:project:0:10"
        assert any("urn:QDA-XML:project:0:10" in w for w in result.warnings)
        assert any(
            "no internal:// scheme" in w for line in result.transcripts for w in line.warnings
        )

    def test_a_taguette_like_inline_text(self, custodian):
        result = new_study(qdpx(docs(), TAGUETTE), custodian)
        assert len(result.transcripts) == 2 and result.codings == 12


# What becomes what -------------------------------------------------------------------------------


@pytest.fixture
def imported(custodian):
    return new_study(qdpx(docs(), NVIVO), custodian)


class TestTranscripts:
    def test_they_wait_in_anonymisation_review_with_identifiers_found(self, imported):
        transcripts = Transcript.objects.filter(study=imported.study).order_by("title")
        assert [t.state for t in transcripts] == [TranscriptState.REVIEW] * 2
        assert [t.title for t in transcripts] == ["Interview with P1", "Interview with P2"]
        assert {t.format for t in transcripts} == {"qdpx"}
        mabel = transcripts[0].versions.get()
        found = {c.text for c in Candidate.objects.filter(version=mabel)}
        assert "Mabel Jones" in found  # the case's name, from the vault
        assert imported.transcripts[0].candidates >= 1

    def test_speaker_labels_become_turns_and_leave_the_text(self, imported):
        transcript = Transcript.objects.get(study=imported.study, participant__pseudonym="P2")
        version = transcript.versions.get()
        assert "Interviewer:" not in version.text and "Simon:" not in version.text
        turns = list(Turn.objects.filter(version=version).order_by("position"))
        assert [t.speaker for t in turns] == [
            Speaker.INTERVIEWER,
            Speaker.PARTICIPANT,
            Speaker.INTERVIEWER,
            Speaker.PARTICIPANT,
        ]
        assert version.text[turns[1].start : turns[1].end] == (
            "I used to have a much bigger breakfast.\nThese days I snack, mostly fruit 🍎 and nuts."
        )
        assert turns[1].participant == transcript.participant
        line = next(line for line in imported.transcripts if line.pseudonym == "P2")
        assert "Simon → P2" in line.speakers and "Interviewer → interviewer" in line.speakers

    def test_a_text_without_labels_is_one_turn_per_paragraph(self, custodian):
        result = new_study(
            qdpx([Doc("Notes.txt", "One.\n\nTwo, three.", [Mark("three", ["x"])])]), custodian
        )
        version = Transcript.objects.get(study=result.study).versions.get()
        assert version.text == "One.\n\nTwo, three."
        assert [(t.start, t.end, t.speaker) for t in version.turns.order_by("position")] == [
            (0, 4, Speaker.PARTICIPANT),
            (6, 17, Speaker.PARTICIPANT),
        ]

    def test_a_second_source_of_one_case_is_numbered(self, custodian):
        documents = [
            Doc("a.txt", "First talk.", case="Ann"),
            Doc("b.txt", "Second talk.", case="Ann"),
        ]
        result = new_study(qdpx(documents, users=[]), custodian)
        titles = sorted(
            Transcript.objects.filter(study=result.study).values_list("title", flat=True)
        )
        assert titles == ["Interview with P1", "Interview with P1 (2)"]


class TestParticipants:
    def test_case_names_stay_in_the_vault_and_pseudonyms_are_fresh(self, imported):
        participants = list(Participant.objects.filter(study=imported.study).order_by("pseudonym"))
        assert [p.pseudonym for p in participants] == ["P1", "P2"]
        assert Identity.objects.get(participant=participants[0]).real_name == "Mabel Jones"
        assert Identity.objects.get(participant=participants[1]).real_name == "Simon"
        assert "Mabel.txt" in Identity.objects.get(participant=participants[0]).notes
        for event in AuditEvent.objects.filter(study=imported.study):
            assert "Mabel Jones" not in json.dumps(event.details) + event.target

    def test_a_code_like_case_name_is_an_original_id(self, custodian):
        result = new_study(qdpx([Doc("a.txt", "Hello there.", case="P03")], users=[]), custodian)
        identity = Identity.objects.get(participant__study=result.study)
        assert (identity.real_name, identity.original_id) == ("", "P03")
        assert Participant.objects.get(study=result.study).pseudonym == "P1"

    def test_pseudonyms_continue_where_the_study_is(self, study, custodian):
        make_participant(study, "P7")
        result = qdpx_import(content=qdpx(docs()), user=custodian, member=member(study, custodian))
        assert result.participants == ["P8", "P9"]

    def test_a_source_without_a_case_gets_a_participant_of_its_own(self, custodian):
        result = new_study(qdpx([Doc("Loose.txt", "Words here.")], users=[]), custodian)
        participant = Participant.objects.get(study=result.study)
        assert participant.transcripts.count() == 1
        assert "Loose.txt" in Identity.objects.get(participant=participant).notes

    def test_a_blank_source_is_reported_and_makes_nobody(self, custodian):
        result = new_study(
            qdpx([Doc("Empty.txt", "  \n\n "), Doc("a.txt", "Words.")], users=[]), custodian
        )
        assert result.participants == ["P1"]
        assert "the text source “Empty.txt”: its text is blank" in result.skipped

    def test_variables_become_attributes_and_identifying_ones_go_to_the_vault(self, custodian):
        content = qdpx(
            docs(),
            variables={
                "Age band": "Text",
                "Children": "Integer",
                "Interviewed": "Date",
                "Email": "Text",
                "Works": "Boolean",
            },
            values={
                "Mabel Jones": {
                    "Age band": "30-39",
                    "Children": 2,
                    "Interviewed": "2024-05-01",
                    "Email": "mabel@example.org",
                    "Works": True,
                },
                "Simon": {"Children": "two"},
            },
        )
        result = new_study(content, custodian)
        attributes = {
            a.name: a.kind for a in AttributeDefinition.objects.filter(study=result.study)
        }
        assert attributes == {
            "Age band": "text",
            "Children": "integer",
            "Interviewed": "date",
            "Works": "text",
        }
        values = {
            (v.participant.pseudonym, v.attribute.name): v.value
            for v in AttributeValue.objects.filter(participant__study=result.study).select_related(
                "participant", "attribute"
            )
        }
        assert values == {
            ("P1", "Age band"): "30-39",
            ("P1", "Children"): "2",
            ("P1", "Interviewed"): "2024-05-01",
            ("P1", "Works"): "true",
        }
        assert (
            Identity.objects.get(
                participant__pseudonym="P1", participant__study=result.study
            ).contact
            == "mabel@example.org"
        )
        assert any("Children" in w and "P2" in w for w in result.warnings)
        assert any("Email" in a and "vault" in a for a in result.attributes)


class TestCoders:
    def test_each_user_is_a_coder_account_without_a_password(self, imported):
        anna = get_user_model().objects.get(username="anna")
        assert not anna.has_usable_password()
        assert Membership.objects.get(study=imported.study, user=anna).role == Role.CODER
        per_coder = Counter(
            Coding.objects.filter(version__transcript__study=imported.study).values_list(
                "coder__username", flat=True
            )
        )
        assert per_coder == {"anna": 7, "ben": 5}

    def test_an_existing_member_is_matched_by_username(self, study, custodian, coder_a):
        documents = [Doc("a.txt", "Tea and toast.", [Mark("toast", ["food"], user="coder_a")])]
        result = qdpx_import(
            content=qdpx(documents, users=["coder_a"]),
            user=custodian,
            member=member(study, custodian),
        )
        assert Coding.objects.get(version__transcript__study=study).coder == coder_a
        assert "already a member" in result.coders[0]

    def test_an_account_outside_the_study_is_matched_only_when_asked(self, custodian, outsider):
        documents = [Doc("a.txt", "Tea and toast.", [Mark("toast", ["food"], user="outsider")])]
        content = qdpx(documents, users=["outsider"])
        first = new_study(content, custodian)
        assert (
            Coding.objects.get(version__transcript__study=first.study).coder.get_username()
            == "outsider-2"
        )
        assert not Membership.objects.filter(user=outsider).exists()
        second = qdpx_import(
            content=content, user=custodian, new_study={"title": "Second"}, match_accounts=True
        )
        assert Coding.objects.get(version__transcript__study=second.study).coder == outsider
        assert Membership.objects.get(study=second.study, user=outsider).role == Role.CODER

    def test_a_user_missing_from_the_list_still_gets_a_layer(self, custodian):
        documents = [Doc("a.txt", "Tea and toast.", [Mark("toast", ["food"], user="ghost")])]
        result = new_study(qdpx(documents, users=["anna"]), custodian)
        coder = Coding.objects.get(version__transcript__study=result.study).coder
        assert coder.get_username().startswith("user-")
        assert any("not listed" in w for w in result.warnings)


class TestCodes:
    def test_hierarchy_colours_and_descriptions(self, custodian):
        builder = Builder(Habits())
        documents = [
            Doc(
                "a.txt",
                "Tea and toast.",
                [Mark("toast", ["toast"]), Mark("Tea", ["tea"], user="ben")],
            )
        ]
        content = builder.build(
            documents,
            codes=[("breakfast", None), ("toast", "breakfast"), ("tea", "breakfast")],
            colours={"breakfast": "#F5A525", "toast": "#00F", "tea": "#11223344"},
        )
        result = new_study(content, custodian)
        codes = {c.label: c for c in Code.objects.filter(study=result.study)}
        assert (
            codes["toast"].parent == codes["breakfast"]
            and codes["tea"].parent == codes["breakfast"]
        )
        assert codes["breakfast"].colour == "#f5a524"
        assert codes["toast"].colour == nearest_colour("#0000ff") == "#2f80ed"
        assert codes["tea"].colour in PALETTE
        assert any("#11223344" in w for w in result.warnings)
        assert codes["toast"].created_by.get_username() == "anna"  # the one coder who used it
        assert codes["breakfast"].created_by == custodian  # nobody coded with it
        assert CodeEvent.objects.filter(code=codes["toast"], kind=CodeEvent.Kind.CREATED).exists()

    def test_two_codes_of_one_label_are_told_apart_by_their_parent(self, custodian):
        documents = [Doc("a.txt", "Tea and toast.")]
        content = Builder(Habits()).build(
            documents,
            codes=[("food", None), ("other", "food"), ("drink", None), ("other ", "drink")],
        )
        result = new_study(content, custodian)
        labels = set(Code.objects.filter(study=result.study).values_list("label", flat=True))
        assert labels == {"food", "other", "drink", "other (drink)"}
        assert result.codes_renamed == ["“other” → “other (drink)”"]

    def test_merging_a_second_project_reuses_a_code_of_the_same_owner(self, study, custodian):
        code = Code.objects.create(study=study, label="Food", created_by=custodian)
        documents = [
            Doc(
                "a.txt",
                "Tea and toast.",
                [Mark("toast", ["food"], user="anna"), Mark("Tea", ["food"], user="ben")],
            )
        ]
        result = qdpx_import(
            content=qdpx(documents), user=custodian, member=member(study, custodian)
        )
        assert set(
            Coding.objects.filter(version__transcript__study=study).values_list("code", flat=True)
        ) == {code.pk}
        assert result.codes_reused == ["“Food”"] and result.codes == 0


class TestMemos:
    def test_notes_land_on_codings_codes_transcripts_and_the_journal(self, custodian):
        documents = [
            Doc(
                "a.txt",
                "Tea and toast. Then the bus.",
                [
                    Mark("toast", ["food"], coding_note="Toast again."),
                    Mark("Tea", ["drink"], user="ben", note="Always tea.", description="A ritual."),
                    Mark("the bus", ["travel"]),
                ],
                note="A short one.",
                description="Recorded at home.",
            )
        ]
        content = Builder(ATLAS).build(
            documents,
            code_notes={"food": "Broad on purpose."},
            loose_notes=["Research plan."],
            links=[("The bus matters.", "the bus")],
        )
        result = new_study(content, custodian)
        memos = {
            memo.text: memo
            for memo in Memo.objects.filter(study=result.study).select_related(
                "coding__code", "code", "author"
            )
        }
        assert memos["Toast again."].coding.code.label == "food"
        assert memos["Always tea."].coding.code.label == "drink"
        assert memos["Always tea."].author.get_username() == "ben"
        assert memos["A ritual."].coding.code.label == "drink"
        assert memos["The bus matters."].coding.code.label == "travel"
        assert memos["Broad on purpose."].code.label == "food"
        assert memos["A short one."].transcript is not None
        assert memos["Recorded at home."].transcript is not None
        entry = JournalEntry.objects.get(study=result.study)
        assert (entry.text, entry.shared) == ("Research plan.", True)
        assert result.memos == 7 and result.journal_entries == 1


class TestWhatIsLeftOut:
    def test_pictures_audio_and_pdf_areas_are_reported_and_a_pdfs_text_imported(self, custodian):
        builder = Builder(Habits())
        picture = etree.Element(f"{{{NS}}}PictureSource", guid=builder.guid(), name="Kitchen.jpg")
        etree.SubElement(
            picture,
            f"{{{NS}}}PictureSelection",
            guid=builder.guid(),
            firstX="1",
            firstY="1",
            secondX="2",
            secondY="2",
        )
        audio = etree.Element(f"{{{NS}}}AudioSource", guid=builder.guid(), name="Interview.m4a")
        for _ in range(2):
            etree.SubElement(
                audio, f"{{{NS}}}AudioSelection", guid=builder.guid(), begin="0", end="10"
            )
        pdf = etree.Element(f"{{{NS}}}PDFSource", guid=builder.guid(), name="Diary.pdf")
        etree.SubElement(
            pdf,
            f"{{{NS}}}PDFSelection",
            guid=builder.guid(),
            page="1",
            firstX="1",
            firstY="1",
            secondX="2",
            secondY="2",
        )
        representation = etree.SubElement(
            pdf, f"{{{NS}}}Representation", guid=builder.guid(), name="Diary.txt"
        )
        etree.SubElement(
            representation, f"{{{NS}}}PlainTextContent"
        ).text = "Monday: porridge again."
        content = builder.build(
            [Doc("a.txt", "Tea and toast.")], extra_sources=[picture, audio, pdf], users=[]
        )
        result = new_study(content, custodian)
        skipped = "\n".join(result.skipped)
        assert (
            "the picture “Kitchen.jpg” with 1 selection: only text sources are imported" in skipped
        )
        assert "the audio recording “Interview.m4a” with 2 selections" in skipped
        assert "1 coded area of the PDF “Diary.pdf”" in skipped
        assert Transcript.objects.filter(study=result.study).count() == 2
        assert any(line.kind == "PDF (its text)" for line in result.transcripts)


# Into an existing study --------------------------------------------------------------------------


class TestIntoAStudy:
    def test_a_lead_adds_a_source_project(self, study, lead):
        result = qdpx_import(
            content=qdpx(docs()),
            user=lead,
            member=member(study, lead),
            source_project_name="Earlier project",
        )
        project = SourceProject.objects.get(study=study, name="Earlier project")
        assert result.source_project == project and not result.created_study
        assert set(
            Transcript.objects.filter(study=study).values_list("source_project", flat=True)
        ) == {project.pk}
        event = AuditEvent.objects.get(study=study, action=AuditEvent.Action.INTERCHANGE_IMPORT)
        assert (
            event.actor == lead
            and event.details["transcripts"] == 2
            and event.details["codings"] == 12
        )

    def test_a_coder_may_not(self, study, coder_a):
        with pytest.raises(PermissionDenied):
            qdpx_import(content=qdpx(docs()), user=coder_a, member=member(study, coder_a))

    def test_the_same_project_twice_is_refused_and_stores_nothing(self, study, lead):
        content = qdpx(docs())
        qdpx_import(content=content, user=lead, member=member(study, lead))
        before = rows()
        with pytest.raises(ValidationError, match="already has a source project"):
            qdpx_import(content=content, user=lead, member=member(study, lead), filename="b.qdpx")
        with pytest.raises(ValidationError, match="already in this study"):
            qdpx_import(
                content=content, user=lead, member=member(study, lead), source_project_name="Again"
            )
        assert rows() == before


# Files that are not fit to import ----------------------------------------------------------------


def broken(**changes) -> bytes:
    """A good project with one thing changed."""
    content = qdpx([Doc("a.txt", "Tea and toast.", [Mark("toast", ["food"])], case="Ann")])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    for name, change in changes.items():
        members[name] = change(members.get(name, b""))
    return zip_of(members)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<Project xmlns="urn:QDA-XML:project:1.0" name="&c;"/>'
)


def replace_in_project(old: bytes, new: bytes):
    return lambda xml: xml.replace(old, new, 1)


HOSTILE = {
    "not a zip": (b"Interviewer: hello\nP1: hi", "the file is not a zip archive"),
    "zip bomb": (
        zip_of({"project.qde": BILLION_LAUGHS, "sources/zeros.txt": b"\x00" * (10 * 1024 * 1024)}),
        "would inflate",
    ),
    "entity expansion": (zip_of({"project.qde": BILLION_LAUGHS}), "declares XML entities"),
    "dangling code": (
        broken(
            **{
                "project.qde": lambda xml: re.sub(
                    rb'(<CodeRef targetGUID=")[^"]+',
                    rb"\g<1>00000000-0000-0000-0000-000000000000",
                    xml,
                )
            }
        ),
        "refers to a code that is not in the project (00000000-0000-0000-0000-000000000000)",
    ),
    "offsets out of range": (
        broken(
            **{"project.qde": lambda xml: re.sub(rb'endPosition="\d+"', b'endPosition="5000"', xml)}
        ),
        "lies outside its text of 14 characters",
    ),
    "path traversal": (
        zip_of({"project.qde": b"<Project/>", "../../etc/cron.d/evil": b"x"}),
        "climbs out of the archive",
    ),
    "missing text file": (
        broken(
            **{
                "project.qde": lambda xml: re.sub(
                    rb'plainTextPath="[^"]+"', b'plainTextPath="internal://nowhere.txt"', xml
                )
            }
        ),
        "is not in the archive",
    ),
    "not a project": (
        zip_of({"project.qde": b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>'}),
        "is a codebook",
    ),
    "malformed xml": (zip_of({"project.qde": b"<Project name='x'>"}), "not well-formed XML"),
}


class TestHostileFiles:
    @pytest.mark.parametrize("case", HOSTILE)
    def test_a_clear_error_and_nothing_stored(self, case, study, custodian, lead):
        content, reason = HOSTILE[case]
        before = rows()
        with pytest.raises(ValidationError) as caught:
            qdpx_import(content=content, user=lead, member=member(study, lead), filename="bad.qdpx")
        message = " ".join(caught.value.messages)
        assert message.startswith("“bad.qdpx” cannot be imported:")
        assert reason in message
        with pytest.raises(ValidationError):
            qdpx_import(content=content, user=custodian, new_study={"title": "New"})
        assert rows() == before

    def test_a_guid_used_twice_within_a_kind_is_ambiguous(self, custodian):
        content = broken(
            **{
                "project.qde": lambda xml: xml.replace(
                    b"</Codes>",
                    b'<Code guid="%s" name="twin" isCodable="true"/></Codes>'
                    % re.search(rb'<Code guid="([^"]+)', xml).group(1),
                )
            }
        )
        with pytest.raises(ValidationError, match="used by two codes"):
            new_study(content, custodian)


# The page ---------------------------------------------------------------------------------------


def upload(content: bytes, name: str = "earlier.qdpx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


class TestThePage:
    def url(self, study) -> str:
        return reverse("exchange-qdpx-import", args=[study.slug])

    def test_a_lead_sees_the_form(self, study, client_for, lead):
        response = client_for(lead).get(self.url(study))
        assert response.status_code == 200
        assert b'name="file"' in response.content and b"new source project" in response.content

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_below_lead_is_forbidden(self, study, client_for, personas, persona):
        client = client_for(personas[persona])
        assert client.get(self.url(study)).status_code == 403
        assert client.post(self.url(study), {"file": upload(qdpx(docs()))}).status_code == 403
        assert not Transcript.objects.filter(study=study).exists()

    def test_an_outsider_gets_404(self, study, client_for, outsider):
        assert client_for(outsider).get(self.url(study)).status_code == 404

    def test_an_import_shows_what_it_did(self, study, client_for, lead):
        response = client_for(lead).post(
            self.url(study),
            {
                "file": upload(qdpx(docs(), NVIVO)),
                "destination": "this_study",
                "source_project": "Breakfast",
            },
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "2 transcripts (in anonymisation review)" in page
        assert "UTF-16 code units (as NVivo counts)" in page
        assert "Interview with P1" in page and "Nothing was left out." in page
        assert Transcript.objects.filter(study=study, source_project__name="Breakfast").count() == 2
        assert AuditEvent.objects.filter(
            study=study, action=AuditEvent.Action.INTERCHANGE_IMPORT, actor=lead
        ).exists()

    def test_into_a_new_study(self, study, client_for, lead):
        response = client_for(lead).post(
            self.url(study),
            {
                "file": upload(qdpx(docs())),
                "destination": "new_study",
                "title": "Breakfast re-analysed",
            },
        )
        assert response.status_code == 200
        created = Study.objects.get(title="Breakfast re-analysed")
        assert Membership.objects.get(study=created, user=lead).role == Role.CUSTODIAN
        assert not Transcript.objects.filter(study=study).exists()
        assert reverse("study-home", args=[created.slug]).encode() in response.content

    @pytest.mark.parametrize(
        ("file", "reason"),
        [
            (lambda: upload(b"not a zip"), "the file is not a zip archive"),
            (lambda: upload(qdpx(docs()), name="codes.qdc"), "is not a .qdpx project"),
            (lambda: upload(HOSTILE["entity expansion"][0]), "declares XML entities"),
        ],
        ids=["not a zip", "wrong extension", "billion laughs"],
    )
    def test_a_bad_file_is_explained_and_changes_nothing(
        self, study, client_for, lead, file, reason
    ):
        client = client_for(lead)
        client.get(self.url(study))
        before = rows()
        response = client.post(self.url(study), {"file": file(), "destination": "this_study"})
        assert response.status_code == 422
        assert reason in response.content.decode()
        assert rows() == before

    def test_no_file(self, study, client_for, lead):
        response = client_for(lead).post(self.url(study), {"destination": "this_study"})
        assert response.status_code == 422 and b"This field is required" in response.content

    def test_htmx_gets_the_panel(self, study, client_for, lead):
        client = client_for(lead)
        response = client.post(
            self.url(study),
            {"file": upload(qdpx(docs())), "destination": "this_study"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert response.content.lstrip().startswith(b'<div id="exchange-import-panel">')
        bad = client.post(self.url(study), {"file": upload(b"x")}, headers={"HX-Request": "true"})
        assert bad.status_code == 422 and bad.content.lstrip().startswith(
            b'<div id="exchange-import-panel">'
        )

    @pytest.mark.parametrize("size", [1, 4])
    def test_the_page_is_a_constant_number_of_queries(
        self, study, client_for, lead, django_assert_num_queries, size
    ):
        for n in range(size):
            qdpx_import(
                content=qdpx([Doc(f"{n}.txt", f"Words {n}.", [Mark("Words", ["w"])])]),
                user=lead,
                member=member(study, lead),
                source_project_name=f"Project {n}",
            )
        client = client_for(lead)
        # The session and user, the gate's membership, the menu's studies, the session's expiry.
        with django_assert_num_queries(7):
            assert client.get(self.url(study)).status_code == 200


# The command -----------------------------------------------------------------------------------


class TestTheCommand:
    def test_into_a_new_study(self, tmp_path, custodian, capsys):
        path = tmp_path / "breakfast.qdpx"
        path.write_bytes(qdpx(docs(), ATLAS))
        call_command("import_qdpx", str(path), "--study", "breakfast", "--as", "custodian")
        out = capsys.readouterr().out
        assert "2 transcripts (in anonymisation review)" in out
        assert "offsets read as code points, a CRLF line end counted once" in out
        study = Study.objects.get(slug="breakfast")
        assert landed(study) == intended(docs())

    def test_into_an_existing_study_as_json(self, tmp_path, study, capsys):
        path = tmp_path / "b.qdpx"
        path.write_bytes(qdpx(docs()))
        call_command(
            "import_qdpx", str(path), "--study", study.slug, "--source-project", "B", "--json"
        )
        result = json.loads(capsys.readouterr().out)
        assert (
            result["source_project"] == "B"
            and result["codings"] == 12
            and not result["created_study"]
        )

    @pytest.mark.parametrize(
        ("arguments", "reason"),
        [
            (["--study", "nope"], "give --as USERNAME"),
            (["--study", "Not A Slug", "--as", "custodian"], "is not a study's slug"),
            (["--study", "x", "--as", "nobody"], "no active account"),
        ],
    )
    def test_failures_are_one_line(self, tmp_path, custodian, arguments, reason):
        path = tmp_path / "b.qdpx"
        path.write_bytes(qdpx(docs()))
        with pytest.raises(CommandError, match=reason):
            call_command("import_qdpx", str(path), *arguments)

    def test_a_bad_file(self, tmp_path, study):
        path = tmp_path / "b.qdpx"
        path.write_bytes(b"hello")
        before = rows()
        with pytest.raises(
            CommandError, match=r"“b\.qdpx” cannot be imported: the file is not a zip"
        ):
            call_command("import_qdpx", str(path), "--study", study.slug)
        assert rows() == before

    def test_a_coder_may_not(self, tmp_path, study, coder_a):
        path = tmp_path / "b.qdpx"
        path.write_bytes(qdpx(docs()))
        with pytest.raises(CommandError, match="not a lead or custodian"):
            call_command("import_qdpx", str(path), "--study", study.slug, "--as", "coder_a")


# After the import: what other parts of the product must do with imported codings -----------------


LEEDS = "Mabel Jones lives in Leeds.\n\nShe drinks cola daily, and tea at night."


@pytest.fixture
def unreviewed(study, lead):
    """An import whose text still names its participant: codings on the version under review."""
    documents = [
        Doc(
            "a.txt",
            LEEDS,
            [
                Mark("Mabel Jones lives in Leeds", ["home"], user="coder_a"),
                Mark("drinks cola", ["drinks"], user="coder_a"),
            ],
            case="Mabel Jones",
            note="Mabel Jones was tired.",
        )
    ]
    return qdpx_import(
        content=qdpx(documents, users=["coder_a"]), user=lead, member=member(study, lead)
    )


class TestAfterTheImport:
    def test_memos_that_name_someone_are_pointed_out(self, unreviewed):
        assert any(
            "mentions what may identify someone" in w and "a memo on Interview with P1" in w
            for w in unreviewed.warnings
        )

    def test_coders_cannot_read_unreviewed_text_through_their_codes(
        self, study, unreviewed, client_for, coder_a
    ):
        code = Code.objects.get(study=study, label="home")
        response = client_for(coder_a).get(reverse("coding-retrieve", args=[study.slug, code.uuid]))
        assert "Mabel Jones" not in response.content.decode()

    def test_codings_follow_the_text_into_the_anonymised_version(self, study, lead, unreviewed):
        from transcripts import review

        transcript = Transcript.objects.get(study=study)
        lead_member = member(study, lead)
        version = review.current_version(transcript)
        for candidate in version.candidates.all():
            status = "accepted" if candidate.text == "Mabel Jones" else "rejected"
            review.candidate_decide(member=lead_member, candidate=candidate, status=status)
        anonymised = review.transcript_apply(member=lead_member, transcript=transcript)
        drinks = Coding.objects.get(version__transcript=transcript, code__label="drinks")
        assert drinks.version == anonymised
        assert anonymised.text[drinks.start : drinks.end] == "drinks cola"


# In a browser --------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_lead_imports_a_project_in_the_browser(page, study, lead, tmp_path):
    from playwright.sync_api import expect

    from studies.tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(reverse("exchange-qdpx-import", args=[study.slug]))
    page.get_by_label("REFI-QDA project").set_input_files(
        files=[
            {"name": "breakfast.qdpx", "mimeType": "application/zip", "buffer": qdpx(docs(), NVIVO)}
        ]
    )
    page.get_by_label("Source project name").fill("Breakfast")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status").filter(has_text="2 transcripts")).to_be_visible()
    expect(page.locator("#import-transcripts")).to_contain_text(
        "UTF-16 code units (as NVivo counts)"
    )
    page.screenshot(path=str(tmp_path / "import.png"), full_page=True)
    assert Transcript.objects.filter(study=study, source_project__name="Breakfast").count() == 2
    page.get_by_label("REFI-QDA project").set_input_files(
        files=[{"name": "broken.qdpx", "mimeType": "application/zip", "buffer": b"not a zip"}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#exchange-import-panel")).to_contain_text("the file is not a zip archive")
