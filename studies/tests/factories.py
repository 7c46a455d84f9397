import factory
from django.contrib.auth import get_user_model

from studies import services
from studies.models import Membership, Role

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
    return services.study_create(creator=creator, title=title, **fields)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.CODER
