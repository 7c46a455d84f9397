"""The thematic map: its nodes (every theme and subtheme that is not discarded, and the codes in
them that the member may see), their positions, the links between them, and snapshots of it.

Reading the map writes nothing: a node nobody has moved has no MapNode row and sits where the
default layout (themes.layout) puts it. A row is written when someone moves the node, or links
it. Codes are read through `Code.objects.visible_to` only (via `themes_for`), so during an open
round a coder's map never shows a co-coder's codes; a snapshot, which keeps labels as they were,
is shown through the same rule."""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest

from coding.codebook import member_is_blinded
from coding.models import Code
from studies.audit import Action, audit
from studies.models import Membership
from themes import layout
from themes.layout import CODE, IN_THEME, SUBTHEME, SUBTHEME_OF, THEME, Link, Node
from themes.models import LinkKind, MapLink, MapNode, MapSnapshot, Status, Theme
from themes.services import require_coder, themes_for

COORDINATE_LIMIT = 100_000  # user units from the origin: far beyond any map people draw
SNAPSHOT_FORMAT = 1


class StaleNode(ValidationError):
    """Someone moved the node since the page showed it: the move is refused, not merged."""

    def __init__(self, message: str, *, x: float, y: float):
        super().__init__(message)
        self.x, self.y = x, y


@dataclass
class ThematicMap:
    nodes: list[Node]
    links: list[Link]  # from the data and typed, between two nodes of the map
    # Typed links the member may see that do not join two nodes of the map now (a theme was
    # discarded, a code left its themes): kept, listed, not drawn.
    off_map: list[MapLink] = field(default_factory=list)

    def node(self, key: str) -> Node | None:
        return next((node for node in self.nodes if node.key == key), None)

    def without_codes(self) -> "ThematicMap":
        """The themes and subthemes only (placed, when nobody moved them, as `map_for` was told
        with `codes=False`)."""
        return ThematicMap(
            [node for node in self.nodes if node.kind != CODE],
            [link for link in self.links if link.kind != IN_THEME],
            self.off_map,
        )


def theme_key(theme: Theme) -> str:
    return f"theme:{theme.uuid}"


def code_key(code: Code) -> str:
    return f"code:{code.uuid}"


def _end_key(node: MapNode) -> str:
    return theme_key(node.theme) if node.theme_id else code_key(node.code)


def end_label(node: MapNode) -> str:
    return node.theme.name if node.theme_id else node.code.label


def _trees(themes: list[Theme]) -> tuple[list[layout.Branch], list[Node], list[Link]]:
    """The themes on the map as trees for the default layout, their nodes (each node after the
    one it hangs under) and the links the data draws: subtheme → parent, code → theme. A code
    in several themes is one node, laid out under the first of them."""
    on_map = [t for t in themes if not t.holding and t.status != Status.DISCARDED]
    on_map_pks = {theme.pk for theme in on_map}
    children: dict[int, list[Theme]] = defaultdict(list)
    tops = []
    for theme in on_map:
        (children[theme.parent_id] if theme.parent_id in on_map_pks else tops).append(theme)
    nodes: list[Node] = []
    links: list[Link] = []
    seen_themes: set[int] = set()
    seen_codes: dict[int, Node] = {}

    def branch(theme: Theme) -> layout.Branch:
        seen_themes.add(theme.pk)
        node = Node(
            key=theme_key(theme),
            kind=SUBTHEME if theme.parent_id else THEME,
            label=theme.name,
            status=theme.status,
            db_id=theme.pk,
        )
        nodes.append(node)
        tree = layout.Branch(node)
        for theme_code in theme.visible_codes:
            code = theme_code.code
            if code.pk not in seen_codes:
                seen_codes[code.pk] = Node(
                    key=code_key(code), kind=CODE, label=code.label, db_id=code.pk
                )
                nodes.append(seen_codes[code.pk])
                tree.codes.append(seen_codes[code.pk])
            links.append(Link(seen_codes[code.pk].key, node.key, IN_THEME, implicit=True))
        for child in children[theme.pk]:
            if child.pk not in seen_themes:  # a cycle of parents is no tree
                links.append(Link(theme_key(child), node.key, SUBTHEME_OF, implicit=True))
                tree.children.append(branch(child))
        return tree

    roots = [branch(theme) for theme in tops if theme.pk not in seen_themes]
    # Themes only in a cycle of parents (which the board should never make) still appear.
    roots += [branch(theme) for theme in on_map if theme.pk not in seen_themes]
    return roots, nodes, links


def _typed_links(member: Membership) -> list[MapLink]:
    """The study's typed links whose two ends the member may see (a code hidden from them hides
    every link to it, and the link's label with it)."""
    visible = Code.objects.visible_to(member)
    return list(
        MapLink.objects.filter(study_id=member.study_id)
        .filter(Q(source__code__isnull=True) | Q(source__code__in=visible))
        .filter(Q(target__code__isnull=True) | Q(target__code__in=visible))
        .select_related("source__theme", "source__code", "target__theme", "target__code")
        .order_by("id")
    )


def _without_codes(branch: layout.Branch) -> layout.Branch:
    return layout.Branch(branch.node, [], [_without_codes(child) for child in branch.children])


def map_for(member: Membership, *, codes: bool = True) -> ThematicMap:
    """The map as this member may see it, every node where it is now: where it was put, or where
    the default layout puts it — laid out for themes alone if `codes` is false, so that a map of
    themes only has no gaps where codes would be. Every node is in the map either way."""
    roots, nodes, links = _trees(themes_for(member))
    by_id = {(node.kind == CODE, node.db_id): node.key for node in nodes}
    stored = {}
    for theme_id, code_id, x, y in MapNode.objects.filter(study_id=member.study_id).values_list(
        "theme_id", "code_id", "x", "y"
    ):
        key = by_id.get((False, theme_id)) if theme_id else by_id.get((True, code_id))
        if key:
            stored[key] = (x, y)
    defaults = layout.arrange(roots if codes else [_without_codes(root) for root in roots])
    layout.place(nodes, defaults, stored, layout.anchors(roots))
    keys = {node.key for node in nodes}
    off_map = []
    for link in _typed_links(member):
        source, target = _end_key(link.source), _end_key(link.target)
        if source in keys and target in keys:
            links.append(Link(source, target, link.kind, link.label, uuid=str(link.uuid)))
        else:
            off_map.append(link)
    return ThematicMap(nodes, links, off_map)


def _coordinate(value: float, name: str) -> float:
    if not math.isfinite(value) or abs(value) > COORDINATE_LIMIT:
        raise ValidationError(
            f"The node's {name} position must be a number within ±{COORDINATE_LIMIT:,}."
        )
    return round(value, 1)


def _node_row(member: Membership, node: Node) -> dict:
    return {
        "study_id": member.study_id,
        ("code_id" if node.kind == CODE else "theme_id"): node.db_id,
    }


def _on_map(themap: ThematicMap, key: str) -> Node:
    node = themap.node(key)
    if node is None:
        raise ValidationError(
            "This node is not on the map you can see (it may have been removed): reload the page."
        )
    return node


@transaction.atomic
def map_node_move(
    *,
    member: Membership,
    key: str,
    x: float,
    y: float,
    expected: tuple[float, float] | None = None,
) -> Node:
    """Keep the node at (x, y). Given where the page showed it (`expected`), a node that someone
    else has moved since is not moved (StaleNode, carrying where it is now)."""
    require_coder(member)
    x, y = _coordinate(x, "horizontal"), _coordinate(y, "vertical")
    node = _on_map(map_for(member), key)
    row = MapNode.objects.select_for_update().filter(**_node_row(member, node)).first()
    if row is None:
        try:
            with transaction.atomic():
                MapNode.objects.create(**_node_row(member, node), x=x, y=y)
        except IntegrityError:  # moved at the same moment by someone else
            row = MapNode.objects.select_for_update().get(**_node_row(member, node))
    if row is not None:
        if expected is not None and (
            abs(row.x - expected[0]) > 0.05 or abs(row.y - expected[1]) > 0.05
        ):
            raise StaleNode(
                f"“{node.label}” was moved by someone else after you opened the map, so it was "
                "not moved: it is shown where they put it.",
                x=row.x,
                y=row.y,
            )
        row.x, row.y = x, y
        row.save(update_fields=["x", "y"])
    node.x, node.y, node.placed = x, y, True
    return node


def _clean_label(label: str) -> str:
    label = " ".join(label.split())
    if len(label) > 200:
        raise ValidationError("A link's label has at most 200 characters.")
    return label


def _check_link(themap: ThematicMap, source: Node, target: Node, kind: str) -> None:
    if source.key == target.key:
        raise ValidationError("A link joins two different nodes: choose another target.")
    if kind == SUBTHEME_OF:
        if CODE in (source.kind, target.kind):
            raise ValidationError("Only a theme can be a subtheme of another theme.")
        for link in themap.links:
            if link.kind == SUBTHEME_OF and {link.source, link.target} == {source.key, target.key}:
                below, above = themap.node(link.source), themap.node(link.target)
                raise ValidationError(f"“{below.label}” is already a subtheme of “{above.label}”.")
    new = Link(source.key, target.key, kind)
    if any(link.identity == new.identity for link in themap.links):
        name = LinkKind(kind).label
        raise ValidationError(
            f"“{source.label}” and “{target.label}” are already linked as “{name}”."
        )


@transaction.atomic
def map_link_add(
    *,
    member: Membership,
    source: str,
    target: str,
    kind: str,
    label: str = "",
    codes: bool = True,
    request: HttpRequest | None = None,
) -> MapLink:
    """A typed, labelled link between two nodes of the map. Its ends get stored positions where
    they are now (on the map with or without `codes`, as the member sees it), if they had none."""
    require_coder(member)
    if kind not in LinkKind.values:
        raise ValidationError(
            f"“{kind}” is not a kind of link: choose subtheme of, relates to or in tension with."
        )
    label = _clean_label(label)
    themap = map_for(member, codes=codes)
    ends = [_on_map(themap, source), _on_map(themap, target)]
    _check_link(themap, *ends, kind)
    rows = []
    for node in ends:
        row, _made = MapNode.objects.get_or_create(
            **_node_row(member, node), defaults={"x": node.x, "y": node.y}
        )
        rows.append(row)
    try:
        with transaction.atomic():
            link = MapLink.objects.create(
                study_id=member.study_id, source=rows[0], target=rows[1], kind=kind, label=label
            )
    except IntegrityError:  # themes_link_once: added at the same moment by someone else
        raise ValidationError(
            f"“{ends[0].label}” and “{ends[1].label}” are already linked as "
            f"“{LinkKind(kind).label}”."
        ) from None
    audit(
        Action.THEME_CHANGE,
        request=request,
        actor=member.user,
        study=member.study,
        target=link,
        details={"map_link": "added", "link": str(link.uuid), "kind": kind,
                 "source": source, "target": target, "label": label},
    )  # fmt: skip
    return link


def visible_link(member: Membership, uuid) -> MapLink | None:
    """A typed link of the study whose two ends the member may see."""
    return next((link for link in _typed_links(member) if str(link.uuid) == str(uuid)), None)


@transaction.atomic
def map_link_remove(
    *, member: Membership, link: MapLink, request: HttpRequest | None = None
) -> None:
    require_coder(member)
    details = {
        "map_link": "removed", "link": str(link.uuid), "kind": link.kind,
        "source": _end_key(link.source), "target": _end_key(link.target), "label": link.label,
    }  # fmt: skip
    described = str(link)
    MapLink.objects.filter(pk=link.pk).delete()
    audit(
        Action.THEME_CHANGE,
        request=request,
        actor=member.user,
        study=member.study,
        details=details | {"was": described},
    )


# Snapshots ----------------------------------------------------------------------------------


def snapshot_data(themap: ThematicMap) -> dict:
    return {
        "format": SNAPSHOT_FORMAT,
        "nodes": [
            {"key": n.key, "kind": n.kind, "label": n.label, "status": n.status, "x": n.x, "y": n.y}
            for n in themap.nodes
        ],
        "links": [
            {"source": link.source, "target": link.target, "kind": link.kind,
             "label": link.label, "implicit": link.implicit}
            for link in themap.links
        ],
    }  # fmt: skip


@transaction.atomic
def map_snapshot_save(
    *, member: Membership, name: str, request: HttpRequest | None = None
) -> MapSnapshot:
    """The map as the member sees it now, kept as it is: named for the phase it marks."""
    require_coder(member)
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Name the snapshot for the phase it marks (e.g. “Reviewing themes”).")
    if len(name) > 200:
        raise ValidationError("A snapshot's name has at most 200 characters.")
    data = snapshot_data(map_for(member))
    snapshot = MapSnapshot.objects.create(
        study_id=member.study_id, name=name, snapshot=data, created_by=member.user
    )
    audit(
        Action.MAP_SNAPSHOT,
        request=request,
        actor=member.user,
        study=member.study,
        target=snapshot,
        details={"snapshot": str(snapshot.uuid), "name": name,
                 "nodes": len(data["nodes"]), "links": len(data["links"])},
    )  # fmt: skip
    return snapshot


def _stored(data: dict) -> ThematicMap:
    nodes = [
        Node(
            key=str(n["key"]),
            kind=n["kind"] if n.get("kind") in layout.KINDS else CODE,
            label=str(n.get("label", "")),
            status=str(n.get("status", "")),
            x=float(n.get("x", 0)),
            y=float(n.get("y", 0)),
            placed=True,
        )
        for n in data.get("nodes", [])
    ]
    links = [
        Link(
            str(link["source"]), str(link["target"]), str(link["kind"]),
            str(link.get("label", "")), implicit=bool(link.get("implicit")),
        )
        for link in data.get("links", [])
    ]  # fmt: skip
    return ThematicMap(nodes, links)


def _hidden_codes(member: Membership, keys: set[str]) -> set[str]:
    """Which of these code nodes the member may not see: codes hidden from them now, and — while
    an open round hides anything from them — codes that no longer exist, since nobody can tell
    any more whose they were."""
    uuids = {key.removeprefix("code:") for key in keys}
    if not uuids:
        return set()
    visible = {
        str(uuid)
        for uuid in Code.objects.visible_to(member)
        .filter(uuid__in=uuids)
        .values_list("uuid", flat=True)
    }
    unseen = uuids - visible
    if not unseen:
        return set()
    existing = {
        str(uuid)
        for uuid in Code.objects.filter(study_id=member.study_id, uuid__in=unseen).values_list(
            "uuid", flat=True
        )
    }
    hidden = existing if len(existing) == len(unseen) or not member_is_blinded(member) else unseen
    return {f"code:{uuid}" for uuid in hidden}


def snapshot_maps(member: Membership, snapshots: list[MapSnapshot]) -> list[ThematicMap]:
    """The snapshots' maps as this member may see them: a code node hidden from them is left out,
    with every link to it."""
    maps = [_stored(snapshot.snapshot) for snapshot in snapshots]
    codes = {node.key for themap in maps for node in themap.nodes if node.kind == CODE}
    hidden = _hidden_codes(member, codes)
    return [
        ThematicMap(
            [node for node in themap.nodes if node.key not in hidden],
            [
                link
                for link in themap.links
                if link.source not in hidden and link.target not in hidden
            ],
        )
        for themap in maps
    ]
