"""The demo study: a small, fictional team looking at the working alliance in psychotherapy.

Written for alliance-ta; every sentence here is invented for the demo.
"""

from collections.abc import Callable
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from studies.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    ConsentRecord,
    Identity,
    InclusionCriterion,
    Interview,
    Membership,
    Participant,
    Protocol,
    ProtocolDomain,
    ProtocolPrompt,
    ProtocolQuestion,
    Role,
    ScreeningRecord,
    SourceProject,
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
    "ethics_committee": "Demo University Health Sciences Research Ethics Committee",
    "withdrawal_policy": Study.WithdrawalPolicy.EITHER,
    "audio_retention_days": 90,
}

# The demo custodian's authenticator key (hex), so that the vault can be opened in the demo.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"

DEMO_CRITERIA = [
    "Qualified psychotherapist or counsellor, registered with a professional body",
    "At least two years in practice since qualifying",
    "Seeing clients at the time of the interview",
    "Able to take part in an online interview in English",
]

DEMO_SOURCE_PROJECTS = [
    ("Difference in the room (2025)", "DEMO-REC-0388"),
    ("Strain and repair (2025)", "DEMO-REC-0397"),
]

DEMO_ATTRIBUTES = [
    ("Years since qualification", AttributeKind.INTEGER, []),
    (
        "Modality",
        AttributeKind.CHOICE,
        ["Integrative", "Psychodynamic", "CBT", "Humanistic", "Systemic"],
    ),
    (
        "Setting",
        AttributeKind.CHOICE,
        ["Private practice", "NHS", "Voluntary sector", "University service"],
    ),
    ("Age band", AttributeKind.CHOICE, ["25-34", "35-44", "45-54", "55-64"]),
]

# Pseudonym, source project (index), years, modality, setting, age band, fictional name.
DEMO_PARTICIPANTS = [
    ("P1", 0, 6, "Integrative", "Private practice", "35-44", "Imogen Hartley"),
    ("P2", 0, 14, "Psychodynamic", "NHS", "45-54", "Tomasz Wrona"),
    ("P3", 0, 3, "CBT", "NHS", "25-34", "Aaliyah Brooks"),
    ("P4", 0, 22, "Humanistic", "Private practice", "55-64", "Declan Mooney"),
    ("P5", 0, 9, "Integrative", "Voluntary sector", "35-44", "Priya Raman"),
    ("P6", 0, 11, "Systemic", "University service", "45-54", "Gareth Lloyd"),
    ("P7", 0, 4, "Humanistic", "Voluntary sector", "25-34", "Sofia Marchetti"),
    ("P8", 1, 17, "Psychodynamic", "Private practice", "45-54", "Kwame Asante"),
    ("P9", 1, 8, "CBT", "University service", "35-44", "Ruth Feldman"),
    ("P10", 1, 2, "Integrative", "NHS", "25-34", "Oliver Quinn"),
    ("P11", 1, 25, "Psychodynamic", "Private practice", "55-64", "Mei Lin Chow"),
    ("P12", 1, 12, "Integrative", "NHS", "45-54", "Hannah Okafor"),
    ("P13", 1, 7, "Humanistic", "Private practice", "35-44", "Samuel Achterberg"),
    ("P14", 1, 5, "Systemic", "Voluntary sector", "25-34", "Niamh Gallagher"),
]

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


DemoStep = Callable[[Study], None]
_steps: list[DemoStep] = []


def register_step(step: DemoStep) -> DemoStep:
    """Let an app built on `studies` add its part of the demo (run after the study exists)."""
    _steps.append(step)
    return step


@transaction.atomic
def demo_build() -> tuple[Study, list[tuple[str, Role]]]:
    """Create or refresh the demo users and study, then every registered app's part of it.
    Running it again changes nothing new."""
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
        _build_guide(protocol)
    _build_setup(study, protocol)
    _build_participants(study, users["custodian"], users["lead"])
    TOTPDevice.objects.update_or_create(
        user=users["custodian"],
        name="Demo authenticator",
        defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
    )
    for step in _steps:
        step(study)
    return study, [(username, role) for username, _name, role in DEMO_USERS]


def _build_guide(protocol: Protocol) -> None:
    for d, (title, questions) in enumerate(DEMO_GUIDE, start=1):
        domain = ProtocolDomain.objects.create(protocol=protocol, position=d, title=title)
        for q, (text, prompts) in enumerate(questions, start=1):
            question = ProtocolQuestion.objects.create(domain=domain, position=q, text=text)
            ProtocolPrompt.objects.bulk_create(
                ProtocolPrompt(question=question, position=p, text=prompt)
                for p, prompt in enumerate(prompts, start=1)
            )


def _build_setup(study: Study, protocol: Protocol) -> None:
    for position, text in enumerate(DEMO_CRITERIA, start=1):
        InclusionCriterion.objects.get_or_create(
            study=study, position=position, defaults={"text": text}
        )
    for name, ethics_reference in DEMO_SOURCE_PROJECTS:
        SourceProject.objects.get_or_create(
            study=study,
            name=name,
            defaults={
                "ethics_reference": ethics_reference,
                "protocol": protocol,
                "consent_covers_secondary_analysis": True,
            },
        )
    for position, (name, kind, choices) in enumerate(DEMO_ATTRIBUTES, start=1):
        AttributeDefinition.objects.get_or_create(
            study=study,
            name=name,
            defaults={"kind": kind, "choices": choices, "position": position},
        )


def _build_participants(study: Study, custodian, lead) -> None:
    """P1-P14 with attributes, vault records and interviews at every stage of the audio's life."""
    projects = [
        SourceProject.objects.get(study=study, name=name) for name, _ref in DEMO_SOURCE_PROJECTS
    ]
    attributes = list(AttributeDefinition.objects.filter(study=study))
    criteria = list(InclusionCriterion.objects.filter(study=study))
    today = timezone.localdate()
    now = timezone.now()
    for n, (pseudonym, project, years, modality, setting, age, name) in enumerate(
        DEMO_PARTICIPANTS, start=1
    ):
        participant, created = Participant.objects.get_or_create(
            study=study, pseudonym=pseudonym, defaults={"source_project": projects[project]}
        )
        if not created:
            continue
        for attribute, value in zip(attributes, [str(years), modality, setting, age], strict=True):
            AttributeValue.objects.create(participant=participant, attribute=attribute, value=value)
        first, last = name.split(" ", 1)
        Identity.objects.create(
            participant=participant,
            real_name=name,
            contact=f"{first.lower()}.{last.lower().replace(' ', '')}@example.org",
            original_id=f"{'DR' if project == 0 else 'SR'}-{n:03d}",
        )
        held_on = today - timedelta(days=240 - 12 * n)  # P11 and P12 overdue for deletion
        for method, consented_on in [
            (ConsentRecord.Method.WRITTEN, held_on - timedelta(days=7)),
            (ConsentRecord.Method.VERBAL, held_on),
        ]:
            ConsentRecord.objects.create(
                participant=participant,
                method=method,
                consented_on=consented_on,
                information_sheet_version="2.1",
                consent_form_version="1.3",
                recording=True,
                verbatim_quotation=pseudonym != "P9",  # one participant declined quotation
                archiving=n % 3 != 0,
                secondary_use=True,
                future_contact=n % 2 == 0,
                recorded_by=custodian,
            )
        for criterion in criteria:
            ScreeningRecord.objects.create(
                participant=participant, criterion=criterion, met=True, assessed_by=custodian
            )
        verified = n <= 12
        deleted = n <= 10
        Interview.objects.create(
            participant=participant,
            held_on=held_on,
            medium=Interview.Medium.VIDEO,
            audio_copies="Teams cloud recording\nEncrypted university laptop",
            verified_by=lead if verified else None,
            verified_at=now - timedelta(days=190 - 12 * n) if verified else None,
            audio_deleted_by=custodian if deleted else None,
            audio_deleted_at=now - timedelta(days=180 - 12 * n) if deleted else None,
            deleted_copies="Teams cloud recording; encrypted university laptop" if deleted else "",
            deletion_method="Deleted from the Teams cloud; secure-erased on the laptop"
            if deleted
            else "",
        )
