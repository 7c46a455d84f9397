"""The transcript's text with its codings, as HTML, built in Python: a page of 15,000 words and a
thousand codings is tens of thousands of small pieces, which a template loop renders several
times slower (make bench). Every piece of text carries data-offset, its first code point's
offset in the version's text, for the selection script."""

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from coding.models import Code, Coding
from transcripts.models import Turn


@dataclass(frozen=True)
class RenderedTurn:
    turn: Turn
    html: SafeString


def _speaker(turn: Turn) -> str:
    return turn.participant.pseudonym if turn.participant_id else "Interviewer"


def turn_html(turn: Turn, text: str, codings: list[Coding], *, oob: bool = False) -> SafeString:
    """One turn: margin stripes for its codings, its speaker, its text cut where codings begin
    and end (each coded piece a <mark> naming its codings)."""
    inside = [c for c in codings if c.start < turn.end and c.end > turn.start]
    stripes = "".join(
        f'<span class="stripe {c.code.colour_class}" title="{escape(c.code.label)}"></span>'
        for c in inside
    )
    cuts = sorted(
        {
            turn.start,
            turn.end,
            *(max(c.start, turn.start) for c in inside),
            *(min(c.end, turn.end) for c in inside),
        }
    )
    pieces = []
    for a, b in pairwise(cuts):
        covering = [c for c in inside if c.start <= a and c.end >= b]
        words = escape(text[a:b])
        if covering:
            overlap = " overlap" if len(covering) > 1 else ""
            check = " check" if any(c.needs_check for c in covering) else ""
            pieces.append(
                f'<mark class="coded{overlap}{check} {covering[0].code.colour_class}" '
                f'data-offset="{a}" tabindex="-1">{words}</mark>'
            )
        else:
            pieces.append(f'<span data-offset="{a}">{words}</span>')
    when = f" · <time>{turn.started_at:.0f} s</time>" if turn.started_at is not None else ""
    swap = ' hx-swap-oob="true"' if oob else ""
    return mark_safe(  # noqa: S308 — every piece of text above is escaped
        f'<div class="turn coding-turn" id="turn-{turn.position}" tabindex="-1"{swap}>'
        f'<div class="stripes" aria-hidden="true">{stripes}</div>'
        f'<div class="turn-body"><span class="speaker">{turn.position} · {escape(_speaker(turn))}{when}</span>'
        f"<p>{''.join(pieces)}</p></div></div>"
    )


def render_turns(turns: list[Turn], text: str, codings: list[Coding]) -> list[RenderedTurn]:
    """Every turn with the codings that touch it, in one sweep over codings sorted by start."""
    ordered = sorted(codings, key=lambda c: (c.start, c.end))
    rendered, active, next_coding = [], [], 0
    for turn in turns:
        while next_coding < len(ordered) and ordered[next_coding].start < turn.end:
            active.append(ordered[next_coding])
            next_coding += 1
        active = [c for c in active if c.end > turn.start]
        rendered.append(RenderedTurn(turn, turn_html(turn, text, active)))
    return rendered


def codes_here_html(
    used: list[tuple[Code, int]], retrieve_url: Callable[[Code], str]
) -> SafeString:
    """The codes used in a transcript, each with its count and a link to its extracts."""
    if not used:
        return mark_safe('<p class="empty">No codings yet.</p>')
    items = "".join(
        f'<li><span class="chip {code.colour_class}"></span> '
        f'<a href="{retrieve_url(code)}">{escape(code.label)}</a> <span class="muted">{n}</span></li>'
        for code, n in used
    )
    return mark_safe(f'<ul class="codes-here" role="list">{items}</ul>')  # noqa: S308 — escaped
