import factory
from django.contrib.auth import get_user_model

from studies.models import Membership, Role
from studies.services import studies as study_services

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save(update_fields=["password"])


def make_study(*, creator, title: str = "A study of the working alliance", **fields):
    """A study made the way the product makes one: its creator becomes its custodian."""
    fields.setdefault("research_question", "How do therapists describe the alliance?")
    return study_services.study_create(creator=creator, title=title, **fields)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.CODER


def make_source_project(study, name: str = "Project A", **fields):
    from studies.models import SourceProject

    return SourceProject.objects.get_or_create(study=study, name=name, defaults=fields)[0]


def make_participant(
    study, pseudonym: str, *, real_name: str = "", source_project=None, **identity
):
    """A participant, with an identity in the vault when a real name is given."""
    from studies.models import Identity, Participant

    participant = Participant.objects.create(
        study=study,
        pseudonym=pseudonym,
        source_project=source_project or make_source_project(study),
    )
    if real_name:
        Identity.objects.create(participant=participant, real_name=real_name, **identity)
    return participant
