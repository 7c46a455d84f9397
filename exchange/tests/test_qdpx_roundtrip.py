"""Export → validate against the official schema → import into a fresh study → lock its
transcripts → export again: the same sources (texts), codes (labels and hierarchy), codings per
coder and memos come back."""

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from coding.codebook import code_redefine
from coding.models import Code
from coding.notes import memo_add
from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from exchange.qdpx.export import export_study
from exchange.qdpx.importer import qdpx_import
from studies.demo import demo_build
from studies.models import Membership, Role
from transcripts import review
from transcripts.models import CandidateStatus, Transcript, TranscriptState

pytestmark = pytest.mark.django_db

NS = {"q": "urn:QDA-XML:project:1.0"}
OFFICIAL = Path(__file__).resolve().parents[3] / "shared" / "refi-qda" / "Project.xsd"
COPY = Path(__file__).resolve().parents[1] / "schemas" / "Project.xsd"


def membership(study, user=None, role=None) -> Membership:
    memberships = Membership.objects.select_related("study", "user").filter(study=study)
    return memberships.get(user=user) if user is not None else memberships.get(role=role)


def validate(content: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        root = etree.fromstring(archive.read("project.qde"))
    schema = etree.XMLSchema(etree.parse(str(OFFICIAL if OFFICIAL.exists() else COPY)))
    assert schema.validate(root), schema.error_log
    return root


def what_it_holds(content: bytes) -> dict:
    """Sources by name with their texts; codes by label with their parent's label; codings as
    (source, start, end, code, user); memo texts."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        root = etree.fromstring(archive.read("project.qde"))
        texts = {}
        for source in root.iterfind("q:Sources/q:TextSource", NS):
            name = source.get("plainTextPath").removeprefix("internal://")
            texts[source.get("guid")] = (
                source.get("name"),
                archive.read(f"sources/{name}").decode(),
            )
    users = {user.get("guid"): user.get("name") for user in root.iterfind("q:Users/q:User", NS)}
    codes, parents = {}, {}
    for code in root.iter(f"{{{NS['q']}}}Code"):
        codes[code.get("guid")] = code.get("name")
        parent = code.getparent()
        parents[code.get("name")] = parent.get("name") if parent.tag.endswith("}Code") else None
    codings = set()
    for source in root.iterfind("q:Sources/q:TextSource", NS):
        for selection in source.iterfind("q:PlainTextSelection", NS):
            for coding in selection.iterfind("q:Coding", NS):
                code = coding.find("q:CodeRef", NS).get("targetGUID")
                codings.add(
                    (
                        source.get("name"),
                        int(selection.get("startPosition")),
                        int(selection.get("endPosition")),
                        codes[code],
                        users[coding.get("creatingUser")],
                    )
                )
    memos = sorted(
        note.findtext("q:PlainTextContent", namespaces=NS)
        for note in root.iterfind("q:Notes/q:Note", NS)
    )
    return {
        "sources": dict(texts.values()),
        "codes": parents,
        "codings": codings,
        "memos": memos,
    }


def lock_all(study, custodian) -> None:
    """Anonymisation review as a person would finish it: every candidate kept as it is (the text
    came from an anonymised export), signed off, locked."""
    member = membership(study, custodian)
    for transcript in Transcript.objects.filter(study=study):
        version = review.current_version(transcript)
        for candidate in version.candidates.filter(status=CandidateStatus.PENDING):
            review.candidate_decide(
                member=member, candidate=candidate, status=CandidateStatus.REJECTED
            )
        review.transcript_sign_off(member=member, transcript=transcript, full_read=True)
        review.transcript_lock(member=member, transcript=transcript)


def round_trip(study, custodian, **options) -> tuple[dict, dict, object]:
    first = export_study(membership(study, role=Role.CUSTODIAN)).content
    validate(first)
    result = qdpx_import(
        content=first, user=custodian, new_study={"title": "Imported again"}, **options
    )
    lock_all(result.study, custodian)
    assert not Transcript.objects.filter(study=result.study).exclude(state=TranscriptState.LOCKED)
    second = export_study(membership(result.study, custodian)).content
    validate(second)
    return what_it_holds(first), what_it_holds(second), result


@pytest.fixture
def analysed(study, lead, coder_a, coder_b):
    """Two locked transcripts (an emoji before coded words), a code tree, both coders' layers
    (one passage coded by both), memos on a coding, a code and a transcript."""
    t1 = make_locked_transcript(study, "P1")
    t2 = make_locked_transcript(
        study, "P2", turns=[("I", "What helps? 🤔"), ("P", "Naming the rupture 🙂, then repair.")]
    )
    lead_m, a, b = membership(study, lead), membership(study, coder_a), membership(study, coder_b)
    parent = code_create(member=lead_m, label="alliance", description="The working bond.")
    child = code_create(member=lead_m, label="listening")
    code_redefine(
        member=lead_m,
        code=child,
        description="Attending first.",
        kind=Code.Kind.SEMANTIC,
        colour=child.colour,
        parent=parent,
    )

    def code(who, transcript, words, **kwargs):
        text = transcript.versions.get().text
        start = text.index(words)
        return coding_apply(
            member=who, transcript=transcript, start=start, end=start + len(words), **kwargs
        )

    (listen,) = code(a, t1, "I listen first", codes=[child])
    code(b, t1, "I listen first", new_label="first contact")
    code(b, t1, "café small talk", new_label="first contact")
    code(a, t2, "then repair", new_label="repair")
    code(b, t2, "Naming the rupture", new_label="rupture")
    memo_add(member=a, coding=listen, text="Listening comes before technique.")
    memo_add(member=lead_m, code=parent, text="Broad on purpose.")
    memo_add(member=b, transcript=t2, text="A short interview.")
    return study


class TestRoundTrip:
    def test_the_same_sources_codes_codings_and_memos_come_back(self, analysed, custodian):
        before, after, result = round_trip(analysed, custodian, match_accounts=True)
        assert after == before
        assert {(c[3], c[4]) for c in after["codings"]} >= {
            ("listening", "coder_a"),
            ("first contact", "coder_b"),
        }
        assert after["codes"]["listening"] == "alliance"
        assert "A short interview." in after["memos"]
        assert result.layers == 2

    def test_without_matching_accounts_each_layer_survives_under_a_new_name(
        self, analysed, custodian
    ):
        before, after, _result = round_trip(analysed, custodian)
        renamed = {"coder_a": "coder_a-2", "coder_b": "coder_b-2"}
        assert after["codings"] == {
            (source, start, end, code, renamed.get(user, user))
            for source, start, end, code, user in before["codings"]
        }
        assert (after["sources"], after["codes"], after["memos"]) == (
            before["sources"],
            before["codes"],
            before["memos"],
        )

    def test_the_demo_study(self, settings, tmp_path, custodian):
        settings.MEDIA_ROOT = tmp_path
        study, _logins = demo_build()
        demo_custodian = membership(study, role=Role.CUSTODIAN).user
        before, after, result = round_trip(study, demo_custodian, match_accounts=True)
        assert after == before
        assert len(before["sources"]) >= 10 and len(before["codings"]) >= 40
        assert result.study != study
