"""The thematic map's pages: the map itself (drag a node, and it stays where it was put; add and
remove typed links; save a snapshot), its download as SVG, and the snapshots, two side by side
with what changed between them. Everyone in the study reads the map; coders and up change it."""

import hashlib

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from studies.access import study_access
from studies.audit import Action, audit
from studies.models import Membership, Role, Study
from themes import layout, lead_review, map_svg
from themes.layout import CODE, SUBTHEME, THEME
from themes.map import (
    StaleNode,
    ThematicMap,
    end_label,
    map_for,
    map_link_add,
    map_link_remove,
    map_node_move,
    map_snapshot_save,
    snapshot_maps,
    visible_link,
)
from themes.models import LinkKind, MapSnapshot

PAGE = "themes/map.html"
SNAPSHOTS = "themes/map_snapshots.html"
NOW = "now"  # the map as it is now, beside a snapshot
KIND_NAMES = {THEME: "Theme", SUBTHEME: "Subtheme", CODE: "Code"}
LINK_NAMES = dict(LinkKind.choices) | {layout.IN_THEME: "code in theme"}


class MapLinkForm(forms.Form):
    source = forms.ChoiceField(
        label="From",
        error_messages={
            "required": "Choose the node the link starts from.",
            "invalid_choice": "That node is not on the map you can see: reload the page.",
        },
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=LinkKind.choices,
        error_messages={
            "required": "Choose the kind of link.",
            "invalid_choice": "“%(value)s” is not a kind of link: choose subtheme of, relates to "
            "or in tension with.",
        },
    )
    target = forms.ChoiceField(
        label="To",
        error_messages={
            "required": "Choose the node the link goes to.",
            "invalid_choice": "That node is not on the map you can see: reload the page.",
        },
    )
    label = forms.CharField(
        label="Label",
        required=False,
        max_length=200,
        help_text="What the link says, e.g. “both rest on trust”.",
        error_messages={"max_length": "A link's label has at most 200 characters."},
    )

    def __init__(self, *args, themap: ThematicMap, **kwargs):
        super().__init__(*args, **kwargs)
        self.node_choices = [
            (node.key, f"{KIND_NAMES[node.kind]}: {node.label}") for node in themap.nodes
        ]
        choices = [("", "—"), *self.node_choices]
        self.fields["source"].choices = self.fields["target"].choices = choices


class SnapshotForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=200,
        help_text="The phase it marks, e.g. “Phase 4: reviewing themes”.",
        error_messages={
            "required": "Name the snapshot for the phase it marks.",
            "max_length": "A snapshot's name has at most 200 characters.",
        },
    )


def _codes_shown(request: HttpRequest) -> bool:
    return (request.POST.get("codes") or request.GET.get("codes")) != "off"


def _shown(themap: ThematicMap, with_codes: bool) -> ThematicMap:
    """What is drawn: the map (laid out by `map_for` with or without codes), or its themes."""
    return themap if with_codes else themap.without_codes()


def _options(choices: list[tuple[str, str]], chosen) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == chosen else "", name) for value, name in choices),
    )


def _link_rows(themap: ThematicMap) -> list[dict]:
    labels = {node.key: node.label for node in themap.nodes}
    rows = [
        {
            "uuid": link.uuid,
            "source": labels[link.source],
            "target": labels[link.target],
            "kind": LINK_NAMES[link.kind],
            "label": link.label,
            "on_map": True,
        }
        for link in themap.links
        if not link.implicit
    ]
    rows += [
        {
            "uuid": str(link.uuid),
            "source": end_label(link.source),
            "target": end_label(link.target),
            "kind": LINK_NAMES.get(link.kind, link.kind),
            "label": link.label,
            "on_map": False,
        }
        for link in themap.off_map
    ]
    return rows


def _context(
    request: HttpRequest,
    study: Study,
    member: Membership,
    *,
    link_form: MapLinkForm | None = None,
    snapshot_form: SnapshotForm | None = None,
    errors=(),
) -> dict:
    with_codes = _codes_shown(request)
    themap = map_for(member, codes=with_codes)
    shown = _shown(themap, with_codes)
    _left, _top, width, height = map_svg.view_box(shown.nodes, shown.links)
    may_change = member.has_role(Role.CODER)
    context = {
        "study": study,
        "member": member,
        "svg": mark_safe(  # noqa: S308 — map_svg escapes every piece of text
            map_svg.render(shown.nodes, shown.links, prefix="map", interactive=may_change)
        ),
        "nodes": shown.nodes,
        "links": _link_rows(themap),
        "with_codes": with_codes,
        "printed_pt": layout.smallest_printed_pt(width, layout.small_text(shown.nodes)),
        "readable_pt": layout.READABLE_PT,
        "print_width": layout.PRINT_WIDTH_PX,
        "print_height": layout.print_height(width, height),
        "may_change": may_change,
        "errors": errors,
        "snapshot_count": MapSnapshot.objects.filter(study=study).count(),
    }
    if may_change:
        context["link_form"] = link_form or MapLinkForm(
            themap=themap, initial={"kind": LinkKind.RELATES_TO}
        )
        form = context["link_form"]
        context["source_options"] = _options(form.node_choices, form["source"].value())
        context["target_options"] = _options(form.node_choices, form["target"].value())
        context["snapshot_form"] = snapshot_form or SnapshotForm()
    return context


def _render(request: HttpRequest, study: Study, member: Membership, *, status=200, **kwargs):
    if request.htmx:
        return render(
            request, f"{PAGE}#map-region", _context(request, study, member, **kwargs), status=status
        )
    context = _context(request, study, member, **kwargs)
    context["comments"] = lead_review.threads_for(member)  # on the map as a whole
    return render(request, PAGE, context, status=status)


def _done(request: HttpRequest, study: Study, member: Membership, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return _render(request, study, member)
    url = reverse("themes-map", args=[study.slug])
    return redirect(url if _codes_shown(request) else f"{url}?codes=off")


@vary_on_headers("HX-Request")
def map_page(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study)
    return _render(request, study, member)


def _svg_download(
    request: HttpRequest, study: Study, *, svg: str, what: str, details: dict
) -> HttpResponse:
    """An SVG file as an attachment named by the server, audited with its SHA-256 (as
    studies.exports does for tables)."""
    content = svg.encode("utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"{study.slug}-{what}-{stamp}.svg"
    audit(
        Action.EXPORT,
        request=request,
        study=study,
        details={
            "what": what,
            "file": filename,
            "sha256": hashlib.sha256(content).hexdigest(),
            **details,
        },
    )
    response = HttpResponse(content, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def map_download(request: HttpRequest, study: str) -> HttpResponse:
    """The map as an SVG file, as the page draws it (the page's script turns it into a PNG at
    print resolution: `?format=png` records that in the audit log)."""
    study, member = study_access(request, study)
    with_codes = _codes_shown(request)
    shown = _shown(map_for(member, codes=with_codes), with_codes)
    svg = map_svg.render(shown.nodes, shown.links, prefix="map", standalone=True)
    return _svg_download(
        request,
        study,
        svg=svg,
        what="thematic-map",
        details={
            "format": "png" if request.GET.get("format") == "png" else "svg",
            "codes": with_codes,
            "nodes": len(shown.nodes),
        },
    )


def _number(request: HttpRequest, name: str, *, required: bool) -> float | None:
    sent = request.POST.get(name, "").strip()
    if not sent and not required:
        return None
    try:
        return float(sent)
    except ValueError:
        raise ValidationError(f"The node's position ({name}) must be a number.") from None


@require_POST
def map_move(request: HttpRequest, study: str) -> HttpResponse:
    """Where a node was dragged to (the page's script posts it): JSON back, 409 with the node's
    position when someone else moved it meanwhile, 422 with the reason for bad input."""
    study, member = study_access(request, study, Role.CODER)
    try:
        x, y = _number(request, "x", required=True), _number(request, "y", required=True)
        from_x, from_y = (_number(request, f"from_{axis}", required=False) for axis in "xy")
        expected = (from_x, from_y) if from_x is not None and from_y is not None else None
        node = map_node_move(
            member=member, key=request.POST.get("node", ""), x=x, y=y, expected=expected
        )
    except StaleNode as stale:
        return JsonResponse(
            {"error": stale.messages[0], "x": stale.x, "y": stale.y}, status=409
        )  # fmt: skip
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=422)
    return JsonResponse({"node": node.key, "x": node.x, "y": node.y})


@vary_on_headers("HX-Request")
@require_POST
def map_link_create(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    form = MapLinkForm(request.POST, themap=map_for(member, codes=_codes_shown(request)))
    if form.is_valid():
        try:
            map_link_add(
                member=member,
                **form.cleaned_data,
                codes=_codes_shown(request),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _done(request, study, member, "Added the link.")
    return _render(request, study, member, link_form=form, status=422)


@vary_on_headers("HX-Request")
@require_POST
def map_link_delete(request: HttpRequest, study: str, link: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    found = visible_link(member, link)
    if found is None:
        raise Http404("No such link on the map you can see.")
    map_link_remove(member=member, link=found, request=request)
    return _done(request, study, member, "Removed the link.")


@vary_on_headers("HX-Request")
@require_POST
def map_snapshot_create(request: HttpRequest, study: str) -> HttpResponse:
    study, member = study_access(request, study, Role.CODER)
    form = SnapshotForm(request.POST)
    if form.is_valid():
        try:
            snapshot = map_snapshot_save(
                member=member, name=form.cleaned_data["name"], request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _done(request, study, member, f"Saved the snapshot “{snapshot.name}”.")
    return _render(request, study, member, snapshot_form=form, status=422)


# Snapshots ----------------------------------------------------------------------------------


def _pick(snapshots: list[MapSnapshot], sent: str | None, default) -> MapSnapshot | str | None:
    if sent is None or sent == "":
        return default
    if sent == NOW:
        return NOW
    found = next((s for s in snapshots if str(s.uuid) == sent), None)
    if found is None:
        raise Http404("No such snapshot in this study.")
    return found


def _value(choice) -> str:
    if choice is None:
        return ""
    return NOW if choice == NOW else str(choice.uuid)


def _side(choice, themap: ThematicMap, prefix: str) -> dict:
    return {
        "snapshot": None if choice == NOW else choice,
        "svg": mark_safe(  # noqa: S308 — map_svg escapes every piece of text
            map_svg.render(
                themap.nodes,
                themap.links,
                prefix=prefix,
                title="The map now" if choice == NOW else choice.name,
            )
        ),
        "nodes": len(themap.nodes),
    }


def map_snapshots(request: HttpRequest, study: str) -> HttpResponse:
    """The snapshots, and two maps side by side — two snapshots, or one and the map now — with
    what changed from the first (a) to the second (b)."""
    study, member = study_access(request, study)
    # The list needs no snapshot's data; only the two compared are read whole.
    snapshots = list(
        MapSnapshot.objects.filter(study=study).select_related("created_by").defer("snapshot")
    )
    a = _pick(snapshots, request.GET.get("a"), snapshots[0] if snapshots else None)
    b = _pick(snapshots, request.GET.get("b"), NOW if snapshots else None)
    context = {
        "study": study,
        "member": member,
        "snapshots": snapshots,
        "now": NOW,
        "a_value": _value(a),
        "b_value": _value(b),
    }
    if a is not None and b is not None:
        chosen = list(MapSnapshot.objects.filter(pk__in=[s.pk for s in (a, b) if s != NOW]))
        stored = dict(zip([s.pk for s in chosen], snapshot_maps(member, chosen), strict=True))
        current = map_for(member) if NOW in (a, b) else None
        map_a = current if a == NOW else stored[a.pk]
        map_b = current if b == NOW else stored[b.pk]
        diff = layout.differences((map_a.nodes, map_a.links), (map_b.nodes, map_b.links))
        labels = {n.key: n.label for n in map_a.nodes} | {n.key: n.label for n in map_b.nodes}
        context |= {
            "sides": [_side(a, map_a, "snap-a"), _side(b, map_b, "snap-b")],
            "diff": diff,
            "node_rows": {
                "added": [(KIND_NAMES[n.kind], n.label) for n in diff.nodes_added],
                "removed": [(KIND_NAMES[n.kind], n.label) for n in diff.nodes_removed],
            },
            "link_rows": {
                name: [
                    (labels.get(link.source, "?"), LINK_NAMES.get(link.kind, link.kind),
                     labels.get(link.target, "?"), link.label)
                    for link in links
                ]
                for name, links in (("added", diff.links_added), ("removed", diff.links_removed))
            },
        }  # fmt: skip
    return render(request, SNAPSHOTS, context)


def map_snapshot_download(request: HttpRequest, study: str, snapshot: str) -> HttpResponse:
    study, member = study_access(request, study)
    found = MapSnapshot.objects.filter(study=study, uuid=snapshot).first()
    if found is None:
        raise Http404("No such snapshot in this study.")
    (themap,) = snapshot_maps(member, [found])
    svg = map_svg.render(
        themap.nodes, themap.links, prefix="map", title=found.name, standalone=True
    )
    return _svg_download(
        request,
        study,
        svg=svg,
        what="thematic-map-snapshot",
        details={"snapshot": str(found.uuid), "name": found.name, "format": "svg"},
    )
