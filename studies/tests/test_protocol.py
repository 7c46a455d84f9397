"""Interview guides: versions, the guide page, editing in place, deleting, and the Table 3
export."""

import csv
import hashlib
import io

import pytest
from django.urls import reverse
from docx import Document

from studies.models import (
    AuditEvent,
    Protocol,
    ProtocolDomain,
    ProtocolPrompt,
    ProtocolQuestion,
    SourceProject,
)
from studies.services import guides as guide_services
from studies.services import sources as source_services
from studies.tests.factories import make_study

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
Action = AuditEvent.Action

GUIDE = [
    (
        "Background",
        [
            ("How did you come to work as a therapist?", ["Training route", "Settings"]),
            ("How would you describe the way you work?", ["Models you draw on"]),
        ],
    ),
    (
        "Strain and repair",
        [("Can you recall a time the relationship felt strained?", ["What you did"])],
    ),
]


def build_guide(study, lead, version="v1", guide=GUIDE) -> Protocol:
    """A guide made the way the product makes one."""
    protocol = guide_services.protocol_create(study=study, version=version, actor=lead)
    for title, questions in guide:
        domain = guide_services.guide_item_add(owner=protocol, text=title, actor=lead)
        for text, prompts in questions:
            question = guide_services.guide_item_add(owner=domain, text=text, actor=lead)
            for prompt in prompts:
                guide_services.guide_item_add(owner=question, text=prompt, actor=lead)
    return protocol


def structure(protocol) -> list:
    """The guide as nested lists, in order, checking that every list is numbered 1..n."""
    result = []
    domains = list(ProtocolDomain.objects.filter(protocol=protocol).order_by("position"))
    assert [d.position for d in domains] == list(range(1, len(domains) + 1))
    for domain in domains:
        questions = list(domain.questions.order_by("position"))
        assert [q.position for q in questions] == list(range(1, len(questions) + 1))
        entry = []
        for question in questions:
            prompts = list(question.prompts.order_by("position"))
            assert [p.position for p in prompts] == list(range(1, len(prompts) + 1))
            entry.append((question.text, [p.text for p in prompts]))
        result.append((domain.title, entry))
    return result


def url(name, study, *args):
    return reverse(name, args=[study.slug, *args])


def item_url(name, study, protocol, item):
    kind = {ProtocolDomain: "domain", ProtocolQuestion: "question", ProtocolPrompt: "prompt"}[
        type(item)
    ]
    return url(name, study, protocol.uuid, kind, item.uuid)


def domain(protocol, position):
    return ProtocolDomain.objects.get(protocol=protocol, position=position)


def question(protocol, domain_position, position):
    return ProtocolQuestion.objects.get(
        domain__protocol=protocol, domain__position=domain_position, position=position
    )


def last_event():
    return AuditEvent.objects.filter(action=Action.PROTOCOL_UPDATE).first()


def protocol_events():
    return AuditEvent.objects.filter(action=Action.PROTOCOL_UPDATE).count()


class TestVersions:
    def test_every_member_reads_the_versions(self, client_for, study, lead, viewer):
        build_guide(study, lead, "v1")
        build_guide(study, lead, "v2", GUIDE[:1])
        response = client_for(viewer).get(url("study-protocols", study))
        assert response.status_code == 200
        assert response.text.index(">v1</a>") < response.text.index(">v2</a>")
        assert url("study-protocol-new", study) not in response.text
        assert (
            url("study-protocol-new", study)
            in client_for(lead).get(url("study-protocols", study)).text
        )

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert client_for(outsider).get(url("study-protocols", study)).status_code == 404

    def test_query_count_does_not_grow_with_versions(
        self, client_for, study, lead, django_assert_max_num_queries
    ):
        for n in range(6):
            guide = build_guide(study, lead, f"v{n}")
            source_services.source_project_save(
                study=study,
                project=None,
                name=f"Project {n}",
                ethics_reference="",
                protocol=guide,
                consent_covers_secondary_analysis=True,
                actor=lead,
            )
        client = client_for(lead)
        client.get(url("study-home", study))  # the session's last-seen stamp: once a minute
        with django_assert_max_num_queries(6):
            response = client.get(url("study-protocols", study))
        assert response.text.count('id="protocol-') == 6
        assert "Project 5" in response.text


class TestGuidePage:
    def test_every_member_reads_the_guide_in_order(self, client_for, study, lead, viewer):
        protocol = build_guide(study, lead)
        response = client_for(viewer).get(url("study-protocol", study, protocol.uuid))
        assert response.status_code == 200
        words = [
            "Background",
            "How did you come to work as a therapist?",
            "Training route",
            "Settings",
            "How would you describe the way you work?",
            "Models you draw on",
            "Strain and repair",
            "What you did",
        ]
        positions = [response.text.index(word) for word in words]
        assert positions == sorted(positions)
        assert "hx-post" not in response.text
        assert url("study-protocol-delete", study, protocol.uuid) not in response.text

    def test_a_lead_gets_the_controls_on_items_with_stable_ids(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        first = domain(protocol, 1)
        text = client_for(lead).get(url("study-protocol", study, protocol.uuid)).text
        assert f'id="domain-{first.uuid}"' in text
        assert f'id="question-{question(protocol, 1, 1).uuid}"' in text
        assert item_url("study-protocol-item-edit", study, protocol, first) in text
        assert url("study-protocol-delete", study, protocol.uuid) in text

    def test_outsider_and_another_studys_guide_get_404(self, client_for, study, lead, outsider):
        protocol = build_guide(study, lead)
        assert (
            client_for(outsider).get(url("study-protocol", study, protocol.uuid)).status_code == 404
        )
        other = make_study(creator=outsider, title="Another study")
        foreign = build_guide(other, outsider)
        assert client_for(lead).get(url("study-protocol", study, foreign.uuid)).status_code == 404

    def test_query_count_does_not_grow_with_the_guide(
        self, client_for, study, lead, django_assert_max_num_queries
    ):
        big = [
            (
                f"Domain {d}",
                [
                    (f"Question {d}.{q}", [f"Prompt {d}.{q}.{p}" for p in range(3)])
                    for q in range(4)
                ],
            )
            for d in range(5)
        ]
        protocol = build_guide(study, lead, guide=big)
        client = client_for(lead)
        client.get(url("study-home", study))  # the session's last-seen stamp: once a minute
        with django_assert_max_num_queries(9):
            response = client.get(url("study-protocol", study, protocol.uuid))
        assert "Prompt 4.3.2" in response.text

    def test_the_home_page_links_the_newest_guide(self, client_for, study, lead, viewer):
        build_guide(study, lead, "v1")
        newest = build_guide(study, lead, "v2", GUIDE[1:])
        text = client_for(viewer).get(url("study-home", study)).text
        assert url("study-protocol", study, newest.uuid) in text
        assert "Strain and repair" in text
        assert url("study-protocols", study) in text


class TestNewVersion:
    def test_lead_creates_an_empty_version(self, client_for, study, lead):
        response = client_for(lead).post(url("study-protocol-new", study), {"version": "v1"})
        protocol = Protocol.objects.get(study=study)
        assert response.status_code == 302
        assert response["Location"] == url("study-protocol", study, protocol.uuid)
        assert protocol.version == "v1"
        assert last_event().details == {
            "version": "v1",
            "change": "created version",
            "copied_from": None,
        }

    def test_lead_copies_every_domain_question_and_prompt(self, client_for, study, lead):
        v1 = build_guide(study, lead)
        # A gap in v1's numbering is closed in the copy.
        ProtocolPrompt.objects.filter(text="Settings").update(position=5)
        client = client_for(lead)
        form = client.get(url("study-protocol-new", study) + f"?copy={v1.uuid}").text
        assert f'<option value="{v1.uuid}" selected>' in form
        response = client.post(
            url("study-protocol-new", study), {"version": "v2", "copy_from": str(v1.uuid)}
        )
        assert response.status_code == 302
        v2 = Protocol.objects.get(study=study, version="v2")
        assert structure(v2) == GUIDE
        assert ProtocolPrompt.objects.filter(text="Settings").count() == 2  # v1 keeps its own
        assert last_event().details == {
            "version": "v2",
            "change": "created version",
            "copied_from": "v1",
            "domains": 2,
            "questions": 3,
            "prompts": 4,
        }

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"version": "V1"}, "This study already has a version “V1”."),
            ({"version": ""}, "This field is required."),
            (
                {"version": "v2", "copy_from": "00000000-0000-0000-0000-000000000001"},
                "Choose one of this study&#x27;s interview guide versions.",
            ),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client_for, study, lead, data, message
    ):
        build_guide(study, lead)
        before = protocol_events()
        response = client_for(lead).post(url("study-protocol-new", study), data)
        assert response.status_code == 422
        assert message in response.text
        assert list(Protocol.objects.values_list("version", flat=True)) == ["v1"]
        assert protocol_events() == before

    def test_a_version_of_another_study_cannot_be_copied(self, client_for, study, lead, outsider):
        foreign = build_guide(make_study(creator=outsider, title="Another study"), outsider)
        response = client_for(lead).post(
            url("study-protocol-new", study), {"version": "v9", "copy_from": str(foreign.uuid)}
        )
        assert response.status_code == 422
        assert not Protocol.objects.filter(study=study).exists()

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, personas, persona):
        client = client_for(personas[persona])
        assert client.get(url("study-protocol-new", study)).status_code == 403
        assert client.post(url("study-protocol-new", study), {"version": "v1"}).status_code == 403
        assert not Protocol.objects.exists()

    def test_outsider_gets_404(self, client_for, study, outsider):
        response = client_for(outsider).post(url("study-protocol-new", study), {"version": "v1"})
        assert response.status_code == 404
        assert not Protocol.objects.exists()


class TestAddItems:
    def test_lead_adds_a_domain(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        response = client_for(lead).post(
            url("study-protocol-domain-add", study, protocol.uuid), {"text": "Endings"}
        )
        added = domain(protocol, 3)
        assert response.status_code == 302
        assert response["Location"] == url("study-protocol", study, protocol.uuid) + "#guide"
        assert added.title == "Endings"
        assert last_event().details == {
            "version": "v1",
            "change": "added domain",
            "position": 3,
            "text": "Endings",
        }

    def test_htmx_gets_the_guide_with_the_new_domain_and_the_message(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        response = client_for(lead).post(
            url("study-protocol-domain-add", study, protocol.uuid),
            {"text": "Endings"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="guide"')
        assert f'id="domain-{domain(protocol, 3).uuid}"' in response.text
        assert 'hx-swap-oob="true"' in response.text
        assert "Domain 3 added." in response.text
        assert "<html" not in response.text

    def test_lead_adds_a_question_to_a_domain(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        strain = domain(protocol, 2)
        response = client_for(lead).post(
            item_url("study-protocol-item-add", study, protocol, strain),
            {"text": "What helped?"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<li id="domain-{strain.uuid}"')
        assert "What helped?" in response.text
        assert question(protocol, 2, 2).text == "What helped?"
        assert last_event().details["in"] == "Strain and repair"

    def test_lead_adds_a_prompt_to_a_question(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        asked = question(protocol, 1, 2)
        response = client_for(lead).post(
            item_url("study-protocol-item-add", study, protocol, asked), {"text": "An example"}
        )
        assert response.status_code == 302
        assert response["Location"].endswith(f"#question-{asked.uuid}")
        assert list(asked.prompts.values_list("position", "text")) == [
            (1, "Models you draw on"),
            (2, "An example"),
        ]

    def test_a_prompt_holds_nothing(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        prompt = ProtocolPrompt.objects.filter(question__domain__protocol=protocol).first()
        response = client_for(lead).post(
            item_url("study-protocol-item-add", study, protocol, prompt), {"text": "Deeper"}
        )
        assert response.status_code == 404

    def test_empty_text_is_explained_and_nothing_changes(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        before = structure(protocol)
        strain = domain(protocol, 2)
        for headers in ({}, HTMX):
            response = client_for(lead).post(
                item_url("study-protocol-item-add", study, protocol, strain),
                {"text": "   "},
                headers=headers,
            )
            assert response.status_code == 422
            assert "The question needs some text." in response.text
            assert '<details class="add-item" open>' in response.text
        assert structure(protocol) == before

    def test_an_item_of_another_version_is_404(self, client_for, study, lead):
        v1 = build_guide(study, lead, "v1")
        v2 = build_guide(study, lead, "v2")
        response = client_for(lead).post(
            item_url("study-protocol-item-add", study, v2, domain(v1, 1)), {"text": "Sneaky"}
        )
        assert response.status_code == 404
        assert structure(v1) == structure(v2) == GUIDE


class TestEditItems:
    def test_lead_rewords_a_domain_and_htmx_gets_it(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        background = domain(protocol, 1)
        response = client_for(lead).post(
            item_url("study-protocol-item-edit", study, protocol, background),
            {"text": "Becoming a therapist"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<li id="domain-{background.uuid}"')
        assert "Becoming a therapist" in response.text
        assert "How did you come to work as a therapist?" in response.text  # its questions stay
        background.refresh_from_db()
        assert background.title == "Becoming a therapist"
        assert last_event().details == {
            "version": "v1",
            "change": "edited domain",
            "from": "Background",
            "to": "Becoming a therapist",
        }

    def test_a_plain_edit_returns_to_the_item(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        asked = question(protocol, 2, 1)
        response = client_for(lead).post(
            item_url("study-protocol-item-edit", study, protocol, asked), {"text": "Any strain?"}
        )
        assert response.status_code == 302
        assert response["Location"].endswith(f"#question-{asked.uuid}")
        asked.refresh_from_db()
        assert asked.text == "Any strain?"

    def test_an_unchanged_text_writes_no_audit_event(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        before = protocol_events()
        client_for(lead).post(
            item_url("study-protocol-item-edit", study, protocol, domain(protocol, 1)),
            {"text": "Background"},
        )
        assert protocol_events() == before

    @pytest.mark.parametrize(
        ("text", "message"),
        [("", "The prompt needs some text."), ("x" * 2001, "at most 2000 characters")],
    )
    def test_bad_input_is_explained_in_place_and_nothing_changes(
        self, client_for, study, lead, text, message
    ):
        protocol = build_guide(study, lead)
        prompt = ProtocolPrompt.objects.get(text="Training route")
        before = protocol_events()
        for headers in ({}, HTMX):
            response = client_for(lead).post(
                item_url("study-protocol-item-edit", study, protocol, prompt),
                {"text": text},
                headers=headers,
            )
            assert response.status_code == 422
            assert message in response.text
            assert f'aria-describedby="edit-{prompt.uuid}-error"' in response.text
        assert structure(protocol) == GUIDE
        assert protocol_events() == before

    def test_unknown_kind_is_404(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        response = client_for(lead).post(
            url(
                "study-protocol-item-edit", study, protocol.uuid, "theme", domain(protocol, 1).uuid
            ),
            {"text": "x"},
        )
        assert response.status_code == 404


class TestMoveAndRemove:
    def test_lead_moves_a_question_down_and_htmx_gets_the_domain(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        first = question(protocol, 1, 1)
        response = client_for(lead).post(
            item_url("study-protocol-item-move", study, protocol, first),
            {"direction": "down"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<li id="domain-{domain(protocol, 1).uuid}"')
        background = structure(protocol)[0][1]
        assert [text for text, _prompts in background] == [
            "How would you describe the way you work?",
            "How did you come to work as a therapist?",
        ]
        assert last_event().details == {
            "version": "v1",
            "change": "moved question down",
            "text": "How did you come to work as a therapist?",
            "from": 1,
            "to": 2,
        }

    def test_lead_moves_a_domain_up(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        response = client_for(lead).post(
            item_url("study-protocol-item-move", study, protocol, domain(protocol, 2)),
            {"direction": "up"},
        )
        assert response.status_code == 302
        assert response["Location"].endswith("#guide")
        assert [title for title, _ in structure(protocol)] == ["Strain and repair", "Background"]

    def test_moving_past_the_end_changes_nothing(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        before = protocol_events()
        client = client_for(lead)
        move = item_url("study-protocol-item-move", study, protocol, domain(protocol, 1))
        assert client.post(move, {"direction": "up"}).status_code == 302
        response = client.post(move, {"direction": "sideways"}, headers=HTMX)
        assert response.status_code == 422
        assert "Choose to move up or down" in response.text
        assert structure(protocol) == GUIDE
        assert protocol_events() == before

    def test_lead_removes_a_prompt_and_the_rest_close_up(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        asked = question(protocol, 1, 1)
        response = client_for(lead).post(
            item_url("study-protocol-item-remove", study, protocol, asked.prompts.get(position=1)),
            headers=HTMX,
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<li id="question-{asked.uuid}"')
        assert list(asked.prompts.values_list("position", "text")) == [(1, "Settings")]
        assert last_event().details["change"] == "removed prompt"

    def test_removing_a_domain_removes_what_it_holds(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        response = client_for(lead).post(
            item_url("study-protocol-item-remove", study, protocol, domain(protocol, 1))
        )
        assert response.status_code == 302
        assert structure(protocol) == GUIDE[1:]
        assert last_event().details == {
            "version": "v1",
            "change": "removed domain",
            "position": 1,
            "text": "Background",
            "questions": 2,
            "prompts": 3,
        }

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, lead, personas, persona):
        protocol = build_guide(study, lead)
        first = domain(protocol, 1)
        client = client_for(personas[persona])
        for name, data in [
            ("study-protocol-item-edit", {"text": "Hijacked"}),
            ("study-protocol-item-move", {"direction": "down"}),
            ("study-protocol-item-remove", {}),
            ("study-protocol-item-add", {"text": "Hijacked"}),
        ]:
            response = client.post(item_url(name, study, protocol, first), data, headers=HTMX)
            assert response.status_code == 403
        domain_add = url("study-protocol-domain-add", study, protocol.uuid)
        assert client.post(domain_add, {"text": "Hijacked"}).status_code == 403
        assert structure(protocol) == GUIDE

    def test_outsider_gets_404(self, client_for, study, lead, outsider):
        protocol = build_guide(study, lead)
        first = domain(protocol, 1)
        client = client_for(outsider)
        for name, data in [
            ("study-protocol-item-edit", {"text": "Hijacked"}),
            ("study-protocol-item-remove", {}),
        ]:
            assert client.post(item_url(name, study, protocol, first), data).status_code == 404
        assert structure(protocol) == GUIDE


class TestDeleteVersion:
    def test_lead_deletes_an_unused_version(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        response = client_for(lead).post(url("study-protocol-delete", study, protocol.uuid))
        assert response.status_code == 302
        assert response["Location"] == url("study-protocols", study)
        assert not Protocol.objects.exists()
        assert not ProtocolQuestion.objects.exists()
        assert last_event().details == {
            "version": "v1",
            "change": "deleted version",
            "domains": 2,
            "questions": 3,
        }

    def test_a_version_a_source_project_used_is_kept(self, client_for, study, lead):
        protocol = build_guide(study, lead)
        source_services.source_project_save(
            study=study,
            project=None,
            name="Alliance 2019",
            ethics_reference="",
            protocol=protocol,
            consent_covers_secondary_analysis=True,
            actor=lead,
        )
        before = protocol_events()
        response = client_for(lead).post(url("study-protocol-delete", study, protocol.uuid))
        assert response.status_code == 422
        assert (
            "Version v1 cannot be deleted: the source project “Alliance 2019” used it."
            in response.text
        )
        assert structure(protocol) == GUIDE
        assert SourceProject.objects.get().protocol == protocol
        assert protocol_events() == before

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_coder_and_viewer_get_403(self, client_for, study, lead, personas, persona):
        protocol = build_guide(study, lead)
        response = client_for(personas[persona]).post(
            url("study-protocol-delete", study, protocol.uuid)
        )
        assert response.status_code == 403
        assert Protocol.objects.filter(pk=protocol.pk).exists()

    def test_outsider_gets_404(self, client_for, study, lead, outsider):
        protocol = build_guide(study, lead)
        response = client_for(outsider).post(url("study-protocol-delete", study, protocol.uuid))
        assert response.status_code == 404
        assert Protocol.objects.filter(pk=protocol.pk).exists()


class TestExport:
    def export(self, client, study, protocol, extension):
        return client.get(url("study-protocol-export", study, protocol.uuid, extension))

    def test_a_viewer_exports_table_3_as_docx(self, client_for, study, lead, viewer):
        protocol = build_guide(study, lead, "v1.2")
        response = self.export(client_for(viewer), study, protocol, "docx")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith(
            f'attachment; filename="{study.slug}-interview-guide-v12-'
        )
        table = Document(io.BytesIO(response.content)).tables[0]
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        assert rows == [
            ["Domain", "Questions", "Follow-up prompts"],
            ["Background", "How did you come to work as a therapist?", "Training route\nSettings"],
            ["", "How would you describe the way you work?", "Models you draw on"],
            [
                "Strain and repair",
                "Can you recall a time the relationship felt strained?",
                "What you did",
            ],
        ]
        event = AuditEvent.objects.get(action=Action.EXPORT)
        assert event.actor == viewer
        assert event.details["sha256"] == hashlib.sha256(response.content).hexdigest()
        assert event.details["version"] == "v1.2"

    def test_the_csv_names_the_domain_on_every_row(self, client_for, study, lead, coder_a):
        protocol = build_guide(study, lead)
        ProtocolPrompt.objects.filter(text="What you did").update(text="=HYPERLINK(1)")
        response = self.export(client_for(coder_a), study, protocol, "csv")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows == [
            ["Domain", "Questions", "Follow-up prompts"],
            ["Background", "How did you come to work as a therapist?", "Training route\nSettings"],
            ["Background", "How would you describe the way you work?", "Models you draw on"],
            [
                "Strain and repair",
                "Can you recall a time the relationship felt strained?",
                "'=HYPERLINK(1)",
            ],
        ]

    def test_a_domain_without_questions_keeps_its_row(self, client_for, study, lead):
        protocol = build_guide(study, lead, guide=[("Endings", [])])
        rows = list(
            csv.reader(
                io.StringIO(
                    self.export(client_for(lead), study, protocol, "csv").content.decode(
                        "utf-8-sig"
                    )
                )
            )
        )
        assert rows[1:] == [["Endings", "", ""]]

    def test_outsider_and_unknown_formats_get_404(self, client_for, study, lead, outsider):
        protocol = build_guide(study, lead)
        assert self.export(client_for(outsider), study, protocol, "docx").status_code == 404
        assert self.export(client_for(lead), study, protocol, "pdf").status_code == 404
        assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
