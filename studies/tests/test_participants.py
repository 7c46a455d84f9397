import csv
import io

import pytest
from django.urls import reverse
from docx import Document

from studies.models import AttributeDefinition, AttributeValue, AuditEvent, Identity, Participant
from studies.tests.factories import make_participant, make_source_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def attributes(study):
    return [
        AttributeDefinition.objects.create(
            study=study, name="Years qualified", kind="integer", position=1
        ),
        AttributeDefinition.objects.create(
            study=study, name="Modality", kind="choice", choices=["CBT", "Integrative"], position=2
        ),
        AttributeDefinition.objects.create(study=study, name="Started", kind="date", position=3),
    ]


def new_participant_data(project, attributes, **changes):
    return {
        "pseudonym": "P1",
        "source_project": str(project.uuid),
        "real_name": "Wilhelmina Ostrander",
        "contact": "w.ostrander@example.org",
        f"attribute_{attributes[0].uuid.hex}": "12",
        f"attribute_{attributes[1].uuid.hex}": "CBT",
        f"attribute_{attributes[2].uuid.hex}": "2014-09-01",
        **changes,
    }


class TestParticipantList:
    def test_any_member_reads_pseudonyms_and_attributes_never_names(
        self, client_for, study, viewer, attributes
    ):
        participant = make_participant(study, "P1", real_name="Wilhelmina Ostrander")
        AttributeValue.objects.create(participant=participant, attribute=attributes[1], value="CBT")
        text = client_for(viewer).get(reverse("study-participants", args=[study.slug])).text
        assert "P1" in text and "CBT" in text and "Modality" in text
        assert "Ostrander" not in text

    def test_filter_by_source_project(self, client_for, study, viewer):
        first, second = (
            make_source_project(study, "Project A"),
            make_source_project(study, "Project B"),
        )
        make_participant(study, "P1", source_project=first)
        make_participant(study, "P2", source_project=second)
        url = reverse("study-participants", args=[study.slug])
        text = client_for(viewer).get(url, {"source": str(second.uuid)}).text
        assert 'id="participant-' in text and ">P2<" in text and ">P1<" not in text
        assert client_for(viewer).get(url, {"source": "not-a-uuid"}).status_code == 404

    def test_outsider_gets_404(self, client_for, study, outsider):
        assert (
            client_for(outsider).get(reverse("study-participants", args=[study.slug])).status_code
            == 404
        )

    def test_query_count_is_flat(
        self, client_for, study, viewer, attributes, django_assert_max_num_queries
    ):
        for n in range(1, 15):
            participant = make_participant(study, f"P{n}")
            for attribute, value in zip(attributes, ["3", "CBT", "2020-01-01"], strict=True):
                AttributeValue.objects.create(
                    participant=participant, attribute=attribute, value=value
                )
        client = client_for(viewer)
        client.get(reverse("study-list"))
        with django_assert_max_num_queries(9):
            response = client.get(reverse("study-participants", args=[study.slug]))
        assert response.text.count('id="participant-') == 14


class TestTable2Export:
    def test_docx_and_csv_hold_every_participant_and_are_audited(
        self, client_for, study, coder_a, attributes
    ):
        for n in (1, 2):
            participant = make_participant(study, f"P{n}", real_name=f"Secret Person {n}")
            AttributeValue.objects.create(
                participant=participant, attribute=attributes[0], value=str(10 * n)
            )
        client = client_for(coder_a)
        response = client.get(reverse("study-participants-export", args=[study.slug, "csv"]))
        assert response["Content-Disposition"].startswith(
            f'attachment; filename="{study.slug}-participants-'
        )
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows == [
            ["Participant", "Source project", "Years qualified", "Modality", "Started"],
            ["P1", "Project A", "10", "", ""],
            ["P2", "Project A", "20", "", ""],
        ]
        docx = client.get(reverse("study-participants-export", args=[study.slug, "docx"]))
        table = Document(io.BytesIO(docx.content)).tables[0]
        assert [cell.text for cell in table.rows[2].cells][:3] == ["P2", "Project A", "20"]
        assert (
            b"Secret Person" not in docx.content
            and "Secret Person" not in response.content.decode()
        )
        exports = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
        assert exports.count() == 2 and all(len(event.details["sha256"]) == 64 for event in exports)

    def test_unknown_format_is_404(self, client_for, study, coder_a):
        assert (
            client_for(coder_a)
            .get(reverse("study-participants-export", args=[study.slug, "pdf"]))
            .status_code
            == 404
        )


class TestParticipantCreate:
    def url(self, study):
        return reverse("study-participant-new", args=[study.slug])

    def test_custodian_adds_a_participant_with_identity_in_the_vault(
        self, client_for, study, custodian, attributes
    ):
        project = make_source_project(study)
        client = client_for(custodian)
        assert 'value="P1"' in client.get(self.url(study)).text  # the next free pseudonym
        response = client.post(self.url(study), new_participant_data(project, attributes))
        participant = Participant.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "vault-participant", args=[study.slug, participant.uuid]
        )
        assert (participant.pseudonym, participant.source_project) == ("P1", project)
        assert dict(participant.attribute_values.values_list("attribute__name", "value")) == {
            "Years qualified": "12",
            "Modality": "CBT",
            "Started": "2014-09-01",
        }
        assert Identity.objects.get().real_name == "Wilhelmina Ostrander"
        event = AuditEvent.objects.get(action=AuditEvent.Action.PARTICIPANT_CREATE)
        assert "Ostrander" not in str(event.details) + event.target

    def test_the_next_pseudonym_skips_withdrawn_ones(self, study, custodian):
        from studies.models import Withdrawal

        make_participant(study, "P1")
        make_participant(study, "P2")
        Withdrawal.objects.create(study=study, pseudonym="P3", mode="erase", withdrawn_by=custodian)
        assert Participant.objects.next_pseudonym(study) == "P4"

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"pseudonym": "p7"}, "p7 is already used in this study."),
            ({"pseudonym": "7 with a digit first"}, "A pseudonym starts with a letter"),
            ({"real_name": ""}, "This field is required."),
            (
                {"attribute_YEARS": "twelve"},
                "Years qualified must be a whole number; “twelve” is not.",
            ),
            ({"attribute_MODALITY": "Astrology"}, "Select a valid choice."),
            ({"attribute_STARTED": "01/09/2014"}, "Started must be a date (YYYY-MM-DD)"),
            ({"source_project": "00000000-0000-0000-0000-000000000000"}, "Select a valid choice."),
        ],
    )
    def test_bad_input_is_explained_and_nothing_stored(
        self, client_for, study, custodian, attributes, change, message
    ):
        project = make_source_project(study)
        make_participant(study, "P7")
        keys = {"YEARS": attributes[0], "MODALITY": attributes[1], "STARTED": attributes[2]}
        change = {
            (
                f"attribute_{keys[key.split('_')[1]].uuid.hex}"
                if key.startswith("attribute_")
                else key
            ): value
            for key, value in change.items()
        }
        response = client_for(custodian).post(
            self.url(study), new_participant_data(project, attributes, **change)
        )
        assert response.status_code == 422
        assert message in response.text
        assert Participant.objects.count() == 1 and not Identity.objects.exists()

    def test_a_source_project_of_another_study_is_refused(
        self, client_for, study, custodian, outsider, attributes
    ):
        from studies.tests.factories import make_study

        foreign = make_source_project(make_study(creator=outsider, title="Other"), "Foreign")
        response = client_for(custodian).post(
            self.url(study), new_participant_data(foreign, attributes)
        )
        assert response.status_code == 422
        assert not Participant.objects.exists()

    @pytest.mark.parametrize("persona", ["lead", "coder_a", "viewer"])
    def test_only_a_custodian_adds_participants(
        self, client_for, study, personas, persona, attributes
    ):
        project = make_source_project(study)
        response = client_for(personas[persona]).post(
            self.url(study), new_participant_data(project, attributes)
        )
        assert response.status_code == 403
        assert not Participant.objects.exists()


class TestParticipantEdit:
    def test_lead_renames_and_sets_attributes(self, client_for, study, lead, attributes):
        participant = make_participant(study, "P1")
        url = reverse("study-participant-edit", args=[study.slug, participant.uuid])
        data = {
            "pseudonym": "P01",
            "source_project": str(participant.source_project.uuid),
            f"attribute_{attributes[1].uuid.hex}": "Integrative",
        }
        assert client_for(lead).post(url, data).status_code == 302
        participant.refresh_from_db()
        assert participant.pseudonym == "P01"
        assert participant.attribute_values.get().value == "Integrative"
        event = AuditEvent.objects.get(action=AuditEvent.Action.PARTICIPANT_UPDATE)
        assert event.details["pseudonym"] == {"from": "P1", "to": "P01"}

    def test_coder_gets_403_outsider_404(self, client_for, study, coder_a, outsider):
        participant = make_participant(study, "P1")
        url = reverse("study-participant-edit", args=[study.slug, participant.uuid])
        assert client_for(coder_a).post(url, {"pseudonym": "X"}).status_code == 403
        assert client_for(outsider).post(url, {"pseudonym": "X"}).status_code == 404
        participant.refresh_from_db()
        assert participant.pseudonym == "P1"


class TestAttributes:
    url_name = "study-attributes"

    def test_lead_defines_a_list_attribute(self, client_for, study, lead):
        url = reverse(self.url_name, args=[study.slug])
        response = client_for(lead).post(
            url, {"name": "Setting", "kind": "choice", "choices": "NHS, Private, NHS"}
        )
        assert response.status_code == 302
        attribute = AttributeDefinition.objects.get()
        assert (attribute.name, attribute.choices) == ("Setting", ["NHS", "Private"])
        assert AuditEvent.objects.filter(action=AuditEvent.Action.ATTRIBUTE_SAVE).exists()

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                {"name": "Modality", "kind": "text"},
                "The study already has an attribute called Modality.",
            ),
            (
                {"name": "Setting", "kind": "choice", "choices": "NHS"},
                "A list needs at least two values.",
            ),
            ({"name": "Setting", "kind": "colour"}, "Select a valid choice."),
        ],
    )
    def test_bad_input(self, client_for, study, lead, attributes, data, message):
        response = client_for(lead).post(reverse(self.url_name, args=[study.slug]), data)
        assert response.status_code == 422
        assert message in response.text
        assert AttributeDefinition.objects.count() == 3

    def test_kind_cannot_change_once_used_and_values_must_stay_in_the_list(
        self, client_for, study, lead, attributes
    ):
        participant = make_participant(study, "P1")
        AttributeValue.objects.create(participant=participant, attribute=attributes[1], value="CBT")
        url = reverse("study-attribute-edit", args=[study.slug, attributes[1].uuid])
        client = client_for(lead)
        assert "cannot change" in client.post(url, {"name": "Modality", "kind": "text"}).text
        assert (
            "values not in the list: CBT"
            in client.post(
                url, {"name": "Modality", "kind": "choice", "choices": "Integrative, Psychodynamic"}
            ).text
        )
        attributes[1].refresh_from_db()
        assert attributes[1].choices == ["CBT", "Integrative"]

    def test_removing_needs_confirmation_and_takes_the_values(
        self, client_for, study, lead, attributes
    ):
        participant = make_participant(study, "P1")
        AttributeValue.objects.create(participant=participant, attribute=attributes[0], value="3")
        url = reverse("study-attribute-delete", args=[study.slug, attributes[0].uuid])
        client = client_for(lead)
        client.post(url)
        assert AttributeDefinition.objects.count() == 3
        client.post(url, {"confirm": "yes"})
        assert AttributeDefinition.objects.count() == 2 and not AttributeValue.objects.exists()

    def test_coder_gets_403(self, client_for, study, coder_a):
        response = client_for(coder_a).post(
            reverse(self.url_name, args=[study.slug]), {"name": "X", "kind": "text"}
        )
        assert response.status_code == 403
        assert not AttributeDefinition.objects.exists()
