"""The demo study: a small, fictional team looking at the working alliance in psychotherapy.

Written for alliance-ta; every sentence here is invented for the demo.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from studies.models import (
    Membership,
    Protocol,
    ProtocolDomain,
    ProtocolPrompt,
    ProtocolQuestion,
    Role,
    Study,
)

DEMO_PASSWORD = "alliance-demo"  # noqa: S105 — printed by `make run`; the demo refuses to run outside DEBUG
DEMO_SLUG = "working-alliance"

DEMO_USERS = [
    ("custodian", "Cam Custodian", Role.CUSTODIAN),
    ("lead", "Lee Lead", Role.LEAD),
    ("coder_a", "Ash Coder", Role.CODER),
    ("coder_b", "Bea Coder", Role.CODER),
    ("viewer", "Val Viewer", Role.VIEWER),
]

DEMO_STUDY = {
    "title": "Holding the working alliance: how psychotherapists describe making, straining and mending it",
    "research_question": (
        "How do practising psychotherapists talk about forming the working alliance with their "
        "clients, about the moments when it comes under strain, and about what that work asks of them?"
    ),
    "epistemological_stance": (
        "Contextualist: accounts are read as situated meaning-making, shaped by each therapist's "
        "training and setting and by our own positions as researchers who also practise."
    ),
    "analysis_mode": Study.AnalysisMode.REFLEXIVE,
    "ethics_reference": "DEMO-REC-0412",
    "ethics_approved_on": date(2026, 3, 2),
}

# Four domains: background, ways of working, relational practice, strain and repair.
DEMO_GUIDE = [
    (
        "Background and how you came to practise",
        [
            (
                "Could you tell me how you came to work as a therapist?",
                ["Training route", "Settings worked in"],
            ),
            (
                "How would you describe the way you work today?",
                ["Models you draw on", "How that has changed"],
            ),
        ],
    ),
    (
        "Starting out with a new client",
        [
            (
                "What happens in your first few sessions with someone?",
                ["What you listen for", "Agreeing goals"],
            ),
            (
                "How do you know when the two of you are working together?",
                ["Signs you notice", "An example"],
            ),
        ],
    ),
    (
        "Relational practice in the room",
        [
            (
                "How do you set and hold the frame of the work?",
                ["Boundaries", "Endings and breaks"],
            ),
            (
                "How do you work with a client who arrives anxious or wary?",
                ["Earlier therapy that went badly"],
            ),
        ],
    ),
    (
        "Strain, difference and repair",
        [
            (
                "Can you recall a time the relationship felt strained?",
                ["What you noticed first", "What you did"],
            ),
            (
                "How do differences between you and a client show up?",
                ["Culture, class, age", "Naming it"],
            ),
            ("What does this work leave you carrying?", ["Supervision", "Looking after yourself"]),
        ],
    ),
]


@transaction.atomic
def demo_build() -> tuple[Study, list[tuple[str, Role]]]:
    """Create or refresh the demo users and study. Running it again changes nothing new."""
    User = get_user_model()
    users = {}
    for username, full_name, _role in DEMO_USERS:
        first, last = full_name.split(" ", 1)
        user, _ = User.objects.update_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "is_active": True}
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        users[username] = user

    study, _ = Study.objects.update_or_create(slug=DEMO_SLUG, defaults=DEMO_STUDY)
    for username, _full_name, role in DEMO_USERS:
        Membership.objects.update_or_create(
            study=study, user=users[username], defaults={"role": role, "expires_on": None}
        )

    protocol, created = Protocol.objects.get_or_create(study=study, version="v1")
    if created:
        for d, (title, questions) in enumerate(DEMO_GUIDE, start=1):
            domain = ProtocolDomain.objects.create(protocol=protocol, position=d, title=title)
            for q, (text, prompts) in enumerate(questions, start=1):
                question = ProtocolQuestion.objects.create(domain=domain, position=q, text=text)
                ProtocolPrompt.objects.bulk_create(
                    ProtocolPrompt(question=question, position=p, text=prompt)
                    for p, prompt in enumerate(prompts, start=1)
                )
    return study, [(username, role) for username, _name, role in DEMO_USERS]
