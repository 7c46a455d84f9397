"""The demo's themes: six themes built from the demo codes, with subthemes, definitions and
statuses at every stage (one discarded, with its reason), codes in the holding area, versions of
the set, a thematic map with typed links and two snapshots (one per phase), and a lead author's
review comment. Written fresh for the demo: the names are not the published study's themes."""

from coding.models import Code
from studies.models import Membership, Study
from themes import board, lead_review
from themes.map import map_for, map_link_add, map_node_move, map_snapshot_save, theme_key
from themes.models import Status, Theme

DISCARDED = "Too few accounts, and those we had sat better under limits as a form of care."
# name, central organising concept, definition, boundaries, status, codes, subthemes
THEMES = [
    (
        "Trust is earned, not given",
        "Clients decide, slowly, whether the therapist is safe to rely on.",
        "Accounts of how reliance on the therapist grows over sessions, and what speeds or slows it.",
        "Not the therapist's trust in the client, nor trust in the service.",
        Status.REVIEWED,
        ["trust takes time", "earning trust"],
        [("Small proofs of reliability", ["holding the frame"])],
    ),
    (
        "Naming what is happening",
        "Saying the strain out loud is how the work repairs itself.",
        "Moments where the therapist or client names a difficulty between them, and what follows.",
        "Not interpretation of the client's history; the here-and-now of the relationship.",
        Status.DEVELOPING,
        ["naming the strain"],
        [],
    ),
    (
        "Limits as a form of care",
        "Boundaries are offered, and received, as looking after the client.",
        "Endings, times and limits described as caring rather than withholding.",
        "Not organisational rules that the therapist disowns.",
        Status.FINAL,
        ["boundaries as kindness"],
        [],
    ),
    (
        "Being seen across difference",
        "Difference in the room is present whether or not it is spoken.",
        "Talk about difference between therapist and client, named or avoided, and being understood.",
        "Not demographic description for its own sake.",
        Status.CANDIDATE,
        ["difference is always there"],
        [],
    ),
    (
        "What the therapist carries",
        "The work continues in the therapist after the session ends.",
        "What therapists take home, and where they put it down: supervision, routines, colleagues.",
        "Not the client's homework between sessions.",
        Status.DEVELOPING,
        ["carrying the work home"],
        [("Supervision as a container", ["supervision as container"])],
    ),
    (
        "The service around the room",
        "Waiting lists and session limits press into the relationship.",
        "Organisational pressures as they show up in the alliance.",
        "Not the therapist's own workload.",
        Status.DISCARDED,
        [],
        [],
    ),
]


def demo_themes(study: Study) -> None:
    if Theme.objects.filter(study=study, holding=False).exists():
        return
    members = {
        m.user.username: m
        for m in Membership.objects.filter(study=study).select_related("user", "study")
    }
    if "lead" not in members:
        return
    lead = members["lead"]
    codes = {code.label: code for code in Code.objects.filter(study=study, retired_at=None)}
    made = []
    for name, concept, definition, boundaries, status, labels, subthemes in THEMES:
        theme = board.theme_create(member=lead, name=name)
        board.theme_edit(
            member=lead, theme=theme, name=name, central_concept=concept,
            definition=definition, boundaries=boundaries,
        )  # fmt: skip
        for label in labels:
            if label in codes:
                board.code_place(member=lead, code=codes[label], theme=theme)
        for sub_name, sub_labels in subthemes:
            sub = board.theme_create(member=lead, name=sub_name, parent=theme)
            for label in sub_labels:
                if label in codes:
                    board.code_place(member=lead, code=codes[label], theme=sub)
        made.append((theme, status))
    holding = board.holding_for_drop(lead)
    placed = {code.pk for theme in Theme.objects.filter(study=study) for code in theme.codes.all()}
    for code in codes.values():
        if code.pk not in placed:
            board.code_place(member=lead, code=code, theme=holding)
    _map(lead, [theme for theme, _status in made], phase="Phase 3: candidate themes")
    for theme, status in made:  # each status change saves a version of the set
        if status != Status.CANDIDATE:
            theme.refresh_from_db()
            reason = DISCARDED if status == Status.DISCARDED else ""
            board.theme_status(member=lead, theme=theme, status=status, reason=reason)
    _map(lead, [theme for theme, _status in made], phase="Phase 4: reviewing themes", moved=True)
    lead_review.comment_add(
        member=lead,
        theme=made[1][0],
        text="Is naming the strain the theme, or the repair that follows it? Sharpen the "
        "central concept before we call it reviewed.",
    )


def _map(lead: Membership, themes: list[Theme], *, phase: str, moved: bool = False) -> None:
    """Links between themes (and, in the later phase, the themes arranged by hand), then a
    snapshot of the map for this phase."""
    themap = map_for(lead)
    live = [theme for theme in themes if theme.status != Status.DISCARDED]
    if not moved:
        map_link_add(
            member=lead, source=theme_key(live[0]), target=theme_key(live[2]),
            kind="relates_to", label="reliability shown through limits",
        )  # fmt: skip
        map_link_add(
            member=lead, source=theme_key(live[1]), target=theme_key(live[4]),
            kind="in_tension_with", label="what is said vs. what is carried",
        )  # fmt: skip
    else:
        for n, theme in enumerate(live):
            if themap.node(theme_key(theme)) is not None:
                x, y = 160 + 260 * (n % 3), 140 + 260 * (n // 3)
                map_node_move(member=lead, key=theme_key(theme), x=x, y=y)
    map_snapshot_save(member=lead, name=phase)
