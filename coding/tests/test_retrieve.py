import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coding.models import Coding, Memo
from coding.retrieve import CONTEXT, RetrieveFilters, code_extracts, in_context
from coding.rounds import round_open, round_unblind
from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import AttributeDefinition, AttributeValue, Membership
from studies.tests.factories import make_participant, make_source_project, make_study
from transcripts.models import TranscriptVersion, Turn

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def apply(study, user, transcript, words, code, *, occurrence=0):
    text = transcript.versions.get().text
    start = [m.start() for m in re.finditer(re.escape(words), text)][occurrence]
    return coding_apply(
        member=member(study, user),
        transcript=transcript,
        start=start,
        end=start + len(words),
        codes=[code],
    )[0]


def url(study, code, **params):
    from urllib.parse import urlencode

    base = reverse("coding-retrieve", args=[study.slug, code.uuid])
    return f"{base}?{urlencode(params)}" if params else base


def extract_ids(response) -> list[str]:
    return re.findall(r'id="extract-([0-9a-f-]{36})"', response.text)


@pytest.fixture
def world(study, lead, coder_a, coder_b):
    """Three participants in two source projects (P2, added first, comes first), with a profession
    and years of practice; a code of the lead's applied by both coders."""
    project_b = make_source_project(study, "Project B")
    make_participant(study, "P2", source_project=project_b)
    profession = AttributeDefinition.objects.create(
        study=study, name="Profession", kind="choice", choices=["nurse", "doctor"]
    )
    years = AttributeDefinition.objects.create(study=study, name="Years", kind="integer")
    t1 = make_locked_transcript(study, "P1")
    t2 = make_locked_transcript(study, "P2")
    t3 = make_locked_transcript(
        study,
        "P3",
        turns=[
            ("I", "Tell me about trust."),
            ("P", "x" * 300 + " trust is earned " + "y" * 300),
        ],
    )
    participants = {t.participant.pseudonym: t.participant for t in (t1, t2, t3)}
    for pseudonym, job, n in [("P1", "nurse", 3), ("P2", "doctor", 12), ("P3", "nurse", 12)]:
        AttributeValue.objects.create(
            participant=participants[pseudonym], attribute=profession, value=job
        )
        AttributeValue.objects.create(participant=participants[pseudonym], attribute=years, value=n)
    code = code_create(member=member(study, lead), label="repair")
    codings = {
        "a1": apply(study, coder_a, t1, "we repair it together", code),
        "b1": apply(study, coder_b, t1, "I name it", code),
        "a2": apply(study, coder_a, t2, "I listen first", code),
        "a3": apply(study, coder_a, t3, "trust is earned", code),
    }
    return {
        "code": code,
        "transcripts": (t1, t2, t3),
        "participants": participants,
        "project_b": project_b,
        "profession": profession,
        "years": years,
        "codings": codings,
    }


class TestPage:
    def test_every_extract_in_context_with_where_it_comes_from(
        self, client_for, study, world, viewer
    ):
        response = client_for(viewer).get(url(study, world["code"]))
        assert response.status_code == 200
        codings = world["codings"]
        assert extract_ids(response) == [str(codings[key].uuid) for key in ("a2", "b1", "a1", "a3")]
        t1 = world["transcripts"][0]
        first = response.text.split(f'id="extract-{codings["a1"].uuid}"')[1].split("</li>")[0]
        page = reverse("coding-transcript", args=[study.slug, t1.uuid])
        link = f"{page}?at={codings['a1'].start}#turn-4"  # opens on the highlight's codings
        assert f'href="{link}"' in first
        assert "Interview with P1" in first and "Project A" in first
        assert "turn 4, P1" in first and "coded by coder_a" in first
        assert (
            "Then I name it, carefully, and "
            '<mark class="extract-text">we repair it together</mark>.</blockquote>'
        ) in first
        assert "4 extracts." in response.text

    def test_an_interviewer_turn_says_so(self, client_for, study, world, coder_a):
        t1 = world["transcripts"][0]
        apply(study, coder_a, t1, "when it goes wrong", world["code"])
        text = client_for(coder_a).get(url(study, world["code"])).text
        assert "turn 3, Interviewer" in text

    def test_offsets_count_code_points_like_the_transcript(self, client_for, study, world):
        # The turn before the extract holds an emoji: the cut must not slip by a character.
        text = client_for(world["codings"]["a2"].coder).get(url(study, world["code"])).text
        assert 'Slowly 🙂 — <mark class="extract-text">I listen first</mark>, and the café' in text

    def test_a_long_turn_is_cut_around_the_extract(self, study, world, viewer):
        (extract,) = in_context(member=member(study, viewer), codings=[world["codings"]["a3"]])
        assert (extract.before, extract.extract, extract.after) == (
            "x" * (CONTEXT - 1) + " ",
            "trust is earned",
            " " + "y" * (CONTEXT - 1),
        )
        assert extract.context_start > extract.turn_start
        assert extract.context_end < extract.turn_end

    def test_an_extract_across_two_turns_shows_both(self, study, world, coder_a, viewer):
        t1 = world["transcripts"][0]
        text = t1.versions.get().text
        start, end = text.index("people think"), text.index("And when") + len("And when")
        coding = coding_apply(
            member=member(study, coder_a),
            transcript=t1,
            start=start,
            end=end,
            codes=[world["code"]],
        )[0]
        (extract,) = in_context(member=member(study, viewer), codings=[coding.pk])
        assert extract.extract == "people think.\n\nAnd when"
        assert extract.after == " it goes wrong?"
        assert extract.turn_position == 2

    def test_memos_on_the_code_and_its_codings_are_shown(
        self, client_for, study, world, coder_a, lead, viewer
    ):
        Memo.objects.create(
            study=study, author=coder_a, coding=world["codings"]["a1"], text="On the repair."
        )
        Memo.objects.create(study=study, author=lead, code=world["code"], text="Define repair.")
        text = client_for(viewer).get(url(study, world["code"])).text
        assert "Define repair." in text
        extract = text.split(f'id="extract-{world["codings"]["a1"].uuid}"')[1].split("</li>")[0]
        assert "On the repair." in extract

    def test_htmx_gets_the_region(self, client_for, study, world, viewer):
        client = client_for(viewer)
        response = client.get(url(study, world["code"]), headers=HTMX)
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="results">')
        assert len(extract_ids(response)) == 4
        # The pager swaps the extracts alone: the filters are not rebuilt for each page.
        pager = client.get(url(study, world["code"]), headers={**HTMX, "HX-Target": "extracts"})
        assert pager.text.lstrip().startswith('<div id="extracts">')
        assert "<form" not in pager.text and len(extract_ids(pager)) == 4

    def test_outsider_gets_404(self, client_for, study, world, outsider):
        assert client_for(outsider).get(url(study, world["code"])).status_code == 404

    def test_a_code_of_another_study_is_404(self, client_for, study, world, outsider, lead):
        other = make_study(creator=outsider, title="Elsewhere")
        theirs = code_create(member=member(other, outsider), label="theirs")
        assert client_for(lead).get(url(study, theirs)).status_code == 404

    def test_a_coding_left_on_an_earlier_version_is_not_shown(
        self, client_for, study, world, viewer
    ):
        t1 = world["transcripts"][0]
        old = t1.versions.get()
        new = TranscriptVersion.objects.create(transcript=t1, number=2, text=old.text)
        for turn in old.turns.all():
            Turn.objects.create(
                version=new,
                position=turn.position,
                speaker=turn.speaker,
                participant=turn.participant,
                start=turn.start,
                end=turn.end,
            )
        carried = Coding.objects.create(
            version=new,
            code=world["code"],
            coder=world["codings"]["a1"].coder,
            start=world["codings"]["a1"].start,
            end=world["codings"]["a1"].end,
        )
        ids = extract_ids(client_for(viewer).get(url(study, world["code"])))
        assert str(carried.uuid) in ids and str(world["codings"]["a1"].uuid) not in ids
        assert len(ids) == 3  # the other codings of P1 stayed on version 1


class TestBlindRule:
    @pytest.fixture
    def blind(self, study, world, lead, coder_a, coder_b):
        return round_open(
            member=member(study, lead),
            title="Round 1",
            transcripts=world["transcripts"][:1],
            coders=[coder_a, coder_b],
        )

    def test_a_coder_in_an_open_round_sees_only_their_own_extracts_there(
        self, client_for, study, world, blind, coder_a, coder_b, lead
    ):
        Memo.objects.create(
            study=study, author=coder_b, coding=world["codings"]["b1"], text="zq-b-memo"
        )
        response = client_for(coder_a).get(url(study, world["code"]))
        ids = extract_ids(response)
        assert str(world["codings"]["b1"].uuid) not in ids and len(ids) == 3
        assert "zq-b-memo" not in response.text and "coded by coder_b" not in response.text
        # Filtering by the other coder finds nothing rather than telling anything.
        assert (
            extract_ids(client_for(coder_a).get(url(study, world["code"], coder="coder_b"))) == []
        )
        round_unblind(member=member(study, lead), coding_round=blind)
        response = client_for(coder_a).get(url(study, world["code"]))
        assert str(world["codings"]["b1"].uuid) in extract_ids(response)
        assert "zq-b-memo" in response.text

    def test_a_viewer_sees_no_extract_of_an_open_round(
        self, client_for, study, world, blind, viewer
    ):
        ids = extract_ids(client_for(viewer).get(url(study, world["code"])))
        assert ids == [str(world["codings"][key].uuid) for key in ("a2", "a3")]

    def test_another_coders_code_is_404_while_blind(
        self, client_for, study, world, blind, coder_a, coder_b, lead
    ):
        theirs = code_create(member=member(study, coder_b), label="b's own")
        assert client_for(coder_a).get(url(study, theirs)).status_code == 404
        round_unblind(member=member(study, lead), coding_round=blind)
        assert client_for(coder_a).get(url(study, theirs)).status_code == 200


class TestFilters:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"participant": "P2"}, ["a2"]),
            ({"source": "project_b"}, ["a2"]),
            ({"coder": "coder_b"}, ["b1"]),
            ({"attribute": "profession", "value": "nurse"}, ["b1", "a1", "a3"]),
            ({"attribute": "years", "value": " 012 "}, ["a2", "a3"]),
            ({"attribute": "profession", "value": "nurse", "coder": "coder_a"}, ["a1", "a3"]),
            ({"participant": "", "source": "", "coder": ""}, ["a2", "b1", "a1", "a3"]),
        ],
    )
    def test_filters_narrow_the_extracts(self, client_for, study, world, viewer, params, expected):
        values = {
            "participant": lambda v: str(world["participants"][v].uuid) if v else "",
            "source": lambda v: str(world["project_b"].uuid) if v else "",
            "attribute": lambda v: str(world[v].uuid),
        }
        query = {key: values.get(key, lambda v: v)(value) for key, value in params.items()}
        response = client_for(viewer).get(url(study, world["code"], **query))
        assert response.status_code == 200
        assert extract_ids(response) == [str(world["codings"][key].uuid) for key in expected]

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"participant": "not-a-uuid"}, "There is no such participant in this study."),
            ({"participant": "00000000-0000-0000-0000-000000000001"}, "no such participant"),
            ({"source": "x"}, "There is no such source project in this study."),
            ({"coder": "nobody"}, "There is no such coder in this study."),
            ({"attribute": "profession"}, "Give the value of Profession to look for."),
            ({"value": "nurse"}, "Choose the attribute this value is of."),
            ({"attribute": "profession", "value": "pilot"}, "Profession must be one of: nurse"),
            ({"attribute": "years", "value": "many"}, "Years must be a whole number"),
            ({"attribute": "foreign", "value": "x"}, "There is no such attribute in this study."),
        ],
    )
    def test_bad_filters_are_explained(
        self, client_for, study, world, viewer, outsider, params, message
    ):
        if params.get("attribute") == "foreign":
            other = make_study(creator=outsider, title="Elsewhere")
            world["foreign"] = AttributeDefinition.objects.create(study=other, name="Foreign")
        params = {
            key: str(world[value].uuid) if key == "attribute" else value
            for key, value in params.items()
        }
        for headers in ({}, HTMX):
            response = client_for(viewer).get(url(study, world["code"], **params), headers=headers)
            assert response.status_code == 422
            assert message in response.text
            assert extract_ids(response) == []

    def test_the_query_function_filters_too(self, study, world, viewer):
        filters = RetrieveFilters(source_project=world["project_b"])
        extracts = code_extracts(member=member(study, viewer), code=world["code"], filters=filters)
        assert [e.pk for e in extracts] == [world["codings"]["a2"].pk]


class TestPagination:
    @pytest.fixture
    def many(self, study, lead, coder_a):
        """A code with 120 extracts on six transcripts."""
        code = code_create(member=member(study, lead), label="many")
        for n in range(6):
            transcript = make_locked_transcript(
                study, f"M{n}", turns=[("P", " ".join(f"w{k:02d}" for k in range(20)))] * 2
            )
            version = transcript.versions.get()
            Coding.objects.bulk_create(
                Coding(version=version, code=code, coder=coder_a, start=k * 4, end=k * 4 + 3)
                for k in range(20)
            )
        return code

    def test_fifty_to_a_page(self, client_for, study, many, viewer):
        client = client_for(viewer)
        first = client.get(url(study, many))
        assert len(extract_ids(first)) == 50 and "Page 1 of 3" in first.text
        assert "120 extracts, 1–50 shown." in first.text
        last = client.get(url(study, many, page=3))
        assert len(extract_ids(last)) == 20
        assert set(extract_ids(first)).isdisjoint(extract_ids(last))
        assert client.get(url(study, many, page="zzz")).status_code == 200

    def test_filters_are_kept_across_pages(self, client_for, study, many, viewer):
        text = client_for(viewer).get(url(study, many, coder="coder_a")).text
        assert "coder=coder_a&amp;page=2" in text

    def test_query_count_is_constant_in_the_number_of_extracts(
        self, client_for, study, world, many, viewer, django_assert_max_num_queries
    ):
        client = client_for(viewer)
        client.get(url(study, world["code"]))

        def queries(code) -> int:
            with CaptureQueriesContext(connection) as context:
                assert client.get(url(study, code)).status_code == 200
            return len(context)

        assert queries(world["code"]) == queries(many)
        with django_assert_max_num_queries(16):
            client.get(url(study, many))


def test_the_quick_select_renders_what_djangos_select_does():
    """The participant filter's options are written in Python; the HTML is Django's own."""
    import re

    from django import forms

    from coding.views_retrieve import QuickSelect

    choices = [("", "All participants"), ("a1", "P1 & <P2>"), ("b2", "P3")]
    attrs = {"id": "id_participant", "aria-invalid": "true"}

    def squeeze(html) -> tuple:
        """The select's attributes (in any order) and its options, whitespace aside."""
        start, options = re.sub(r">\s+<", "><", str(html)).strip().split(">", 1)
        return sorted(re.findall(r'\S+="[^"]*"', start)), options

    for value in ("", "b2", None):
        ours = QuickSelect(choices=choices).render("participant", value, attrs=attrs)
        django = forms.Select(choices=choices).render("participant", value, attrs=attrs)
        assert squeeze(ours) == squeeze(django)
