"""The transcript's text with its codings, as HTML, built in Python: a page of 15,000 words and a
thousand codings is tens of thousands of small pieces, which a template loop renders several
times slower (make bench). Every piece of text carries data-offset, its first code point's
offset in the version's text, for the selection script."""

from dataclasses import dataclass
from itertools import pairwise

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from coding.models import Coding
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
            ids = " ".join(str(c.uuid) for c in covering)
            pieces.append(
                f'<mark class="coded{overlap} {covering[0].code.colour_class}" data-offset="{a}" '
                f'data-codings="{ids}" tabindex="0">{words}</mark>'
            )
        else:
            pieces.append(f'<span data-offset="{a}">{words}</span>')
    when = f" · <time>{turn.started_at:.0f} s</time>" if turn.started_at is not None else ""
    swap = ' hx-swap-oob="true"' if oob else ""
    return mark_safe(  # noqa: S308 — every piece of text above is escaped
        f'<div class="turn coding-turn" id="turn-{turn.position}"{swap}>'
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


def coding_item_html(
    coding: Coding, *, csrf_token: str, user_id: int, memos_html: str = "", memo_url: str = ""
) -> SafeString:
    """One coding in the side list: its code, coder and words, its owner's remove button, and
    its memos (rendered by the caller) or a link to add one."""
    remove = ""
    if coding.coder_id == user_id:
        remove = (
            f'<form method="post" action="{coding.remove_url}" hx-post="{coding.remove_url}" hx-swap="none">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
            '<button type="submit" class="link">Remove</button></form>'
        )
    excerpt = coding.excerpt if len(coding.excerpt) <= 100 else coding.excerpt[:99] + "…"
    memo = memos_html or (
        f'<a class="memo-link" href="{memo_url}">Add a memo</a>' if memo_url else ""
    )
    return mark_safe(  # noqa: S308 — every piece of text is escaped
        f'<li id="coding-{coding.uuid}" data-coding="{coding.uuid}">'
        f'<span class="chip {coding.code.colour_class}"></span> <strong>{escape(coding.code.label)}</strong> '
        f'<span class="muted">by {escape(coding.coder.get_username())} · “{escape(excerpt)}”</span>'
        f"{remove}{memo}</li>"
    )
