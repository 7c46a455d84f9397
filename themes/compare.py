"""What changed between two versions of the theme set: themes added, removed, renamed, moved
under another parent, their status and definitions changed, and codes added to a theme, removed
from one, moved from one theme to another, or relabelled.

Pure: it reads two snapshots as `themes.services.snapshot` makes them (plain dicts) and imports
nothing from Django, so the pages, a command or a test can call it alike. Every list comes out in
a fixed order (the order of the themes in the snapshot, then of their codes), so the same two
snapshots always give the same comparison. `keyed_changes` is the generic part, for any two
lists of records that carry a stable key (the map's snapshots, say)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The fields that say what a theme is; a change to any of them is a change of definition.
DEFINITION_FIELDS: tuple[tuple[str, str], ...] = (
    ("central_concept", "central organising concept"),
    ("definition", "definition"),
    ("boundaries", "boundaries"),
    ("discard_reason", "reason for discarding"),
)


# The generic part --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    key: str
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class KeyedChanges:
    """Records only in `new` (added), only in `old` (removed), and the fields that differ in
    records in both (changed). Keys in the order of `new`, removed ones in the order of `old`."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[FieldChange, ...] = ()


def by_key(records: Iterable[Mapping], key: str = "uuid") -> dict[str, Mapping]:
    """Records by their key, in their order; a key seen twice keeps its first record."""
    found: dict[str, Mapping] = {}
    for record in records:
        found.setdefault(str(record[key]), record)
    return found


def keyed_changes(
    old: Iterable[Mapping], new: Iterable[Mapping], *, fields: Iterable[str], key: str = "uuid"
) -> KeyedChanges:
    before, after = by_key(old, key), by_key(new, key)
    fields = tuple(fields)
    return KeyedChanges(
        added=tuple(k for k in after if k not in before),
        removed=tuple(k for k in before if k not in after),
        changed=tuple(
            FieldChange(k, name, before[k].get(name), after[k].get(name))
            for k in after
            if k in before
            for name in fields
            if before[k].get(name) != after[k].get(name)
        ),
    )


# Theme sets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeRef:
    uuid: str
    name: str
    holding: bool = False


@dataclass(frozen=True)
class CodeRef:
    uuid: str
    label: str


@dataclass(frozen=True)
class Renamed:
    theme: ThemeRef  # named as it is in the newer snapshot
    old: str
    new: str


@dataclass(frozen=True)
class StatusChanged:
    theme: ThemeRef
    old: str
    new: str


@dataclass(frozen=True)
class TextChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class DefinitionChanged:
    theme: ThemeRef
    changes: tuple[TextChange, ...]


@dataclass(frozen=True)
class Moved:
    """A theme put under another parent (None: at the top)."""

    theme: ThemeRef
    old_parent: ThemeRef | None
    new_parent: ThemeRef | None


@dataclass(frozen=True)
class CodeInTheme:
    """A code added to a theme (named as in the newer snapshot) or removed from one (as in the
    older)."""

    code: CodeRef
    theme: ThemeRef


@dataclass(frozen=True)
class CodeMoved:
    """A code that left one theme and entered another between the two snapshots."""

    code: CodeRef
    source: ThemeRef
    target: ThemeRef


@dataclass(frozen=True)
class CodeRelabelled:
    code: CodeRef  # its newer label
    old: str
    new: str


@dataclass(frozen=True)
class Comparison:
    added: tuple[ThemeRef, ...] = ()
    removed: tuple[ThemeRef, ...] = ()
    renamed: tuple[Renamed, ...] = ()
    status_changed: tuple[StatusChanged, ...] = ()
    definition_changed: tuple[DefinitionChanged, ...] = ()
    moved: tuple[Moved, ...] = ()
    codes_added: tuple[CodeInTheme, ...] = ()
    codes_removed: tuple[CodeInTheme, ...] = ()
    codes_moved: tuple[CodeMoved, ...] = ()
    codes_relabelled: tuple[CodeRelabelled, ...] = ()

    # Each kind of change with its heading, in the order a page shows them.
    KINDS = (
        ("added", "Themes added"),
        ("removed", "Themes removed"),
        ("renamed", "Themes renamed"),
        ("status_changed", "Status changed"),
        ("definition_changed", "Definitions changed"),
        ("moved", "Moved under another parent"),
        ("codes_added", "Codes added to a theme"),
        ("codes_removed", "Codes removed from a theme"),
        ("codes_moved", "Codes moved between themes"),
        ("codes_relabelled", "Codes relabelled"),
    )

    def __bool__(self) -> bool:
        return any(getattr(self, kind) for kind, _title in self.KINDS)

    def __len__(self) -> int:
        return sum(len(getattr(self, kind)) for kind, _title in self.KINDS)

    def sections(self) -> list[tuple[str, str, tuple]]:
        """(kind, heading, changes) for every kind that has changes."""
        return [
            (kind, title, getattr(self, kind)) for kind, title in self.KINDS if getattr(self, kind)
        ]


def _themes(snapshot: Mapping) -> dict[str, Mapping]:
    return by_key(snapshot.get("themes") or ())


def _ref(theme: Mapping) -> ThemeRef:
    return ThemeRef(str(theme["uuid"]), theme.get("name") or "", bool(theme.get("holding")))


def _codes(theme: Mapping) -> dict[str, CodeRef]:
    codes: dict[str, CodeRef] = {}
    for code in theme.get("codes") or ():
        codes.setdefault(str(code["uuid"]), CodeRef(str(code["uuid"]), code.get("label") or ""))
    return codes


def _memberships(themes: dict[str, Mapping]) -> dict[tuple[str, str], tuple[int, int, CodeRef]]:
    """(theme uuid, code uuid) → (theme's place, code's place in it, the code), in order."""
    return {
        (theme_uuid, code_uuid): (t, c, code)
        for t, (theme_uuid, theme) in enumerate(themes.items())
        for c, (code_uuid, code) in enumerate(_codes(theme).items())
    }


def compare(old: Mapping, new: Mapping) -> Comparison:
    """Every difference between two theme-set snapshots, `old` → `new`."""
    before, after = _themes(old), _themes(new)
    fields = ["name", "status", "parent", *(name for name, _label in DEFINITION_FIELDS)]
    changes = keyed_changes(before.values(), after.values(), fields=fields)

    def ref(uuid: str, *, old_side: bool = False) -> ThemeRef:
        side = (before if old_side else after).get(uuid) or before.get(uuid) or after[uuid]
        return _ref(side)

    def parent(uuid: str | None, *, old_side: bool) -> ThemeRef | None:
        if not uuid:
            return None
        side = before if old_side else after
        theme = side.get(str(uuid)) or (after if old_side else before).get(str(uuid))
        return _ref(theme) if theme else ThemeRef(str(uuid), "")

    renamed, status, moved = [], [], []
    definitions: dict[str, list[TextChange]] = {}
    labels = dict(DEFINITION_FIELDS)
    for change in changes.changed:
        theme = ref(change.key)
        if change.field == "name":
            renamed.append(Renamed(theme, change.old or "", change.new or ""))
        elif change.field == "status":
            status.append(StatusChanged(theme, change.old or "", change.new or ""))
        elif change.field == "parent":
            moved.append(
                Moved(
                    theme,
                    parent(change.old, old_side=True),
                    parent(change.new, old_side=False),
                )
            )
        else:
            definitions.setdefault(change.key, []).append(
                TextChange(change.field, labels[change.field], change.old or "", change.new or "")
            )

    # Codes: every (theme, code) pair that went is a removal, every one that came an addition,
    # except that a code which left one theme and entered another is a move (paired in order).
    was, now = _memberships(before), _memberships(after)
    left: dict[str, list[tuple[str, tuple]]] = {}
    entered: dict[str, list[tuple[str, tuple]]] = {}
    for (theme_uuid, code_uuid), place in was.items():
        if (theme_uuid, code_uuid) not in now:
            left.setdefault(code_uuid, []).append((theme_uuid, place))
    for (theme_uuid, code_uuid), place in now.items():
        if (theme_uuid, code_uuid) not in was:
            entered.setdefault(code_uuid, []).append((theme_uuid, place))
    added_codes, removed_codes, moved_codes = [], [], []
    for code_uuid in set(left) | set(entered):
        sources, targets = left.get(code_uuid, []), entered.get(code_uuid, [])
        for (source, _s), (target, place) in zip(sources, targets, strict=False):
            moved_codes.append(
                (place, CodeMoved(place[2], ref(source, old_side=True), ref(target)))
            )
        for target, place in targets[len(sources) :]:
            added_codes.append((place, CodeInTheme(place[2], ref(target))))
        for source, place in sources[len(targets) :]:
            removed_codes.append((place, CodeInTheme(place[2], ref(source, old_side=True))))

    def ordered(items: list[tuple[tuple, object]]) -> tuple:
        return tuple(item for _place, item in sorted(items, key=lambda pair: pair[0][:2]))

    old_labels = {code.uuid: code.label for _t, _c, code in was.values()}
    relabelled, seen = [], set()
    for _t, _c, code in now.values():
        if (
            code.uuid in old_labels
            and code.uuid not in seen
            and old_labels[code.uuid] != code.label
        ):
            relabelled.append(CodeRelabelled(code, old_labels[code.uuid], code.label))
        seen.add(code.uuid)

    return Comparison(
        added=tuple(ref(uuid) for uuid in changes.added),
        removed=tuple(ref(uuid, old_side=True) for uuid in changes.removed),
        renamed=tuple(renamed),
        status_changed=tuple(status),
        definition_changed=tuple(
            DefinitionChanged(ref(uuid), tuple(items)) for uuid, items in definitions.items()
        ),
        moved=tuple(moved),
        codes_added=ordered(added_codes),
        codes_removed=ordered(removed_codes),
        codes_moved=ordered(moved_codes),
        codes_relabelled=tuple(relabelled),
    )
