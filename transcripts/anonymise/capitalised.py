"""Capitalised words: runs of capitalised words in mid-sentence with at least one word that is not
an ordinary dictionary word ("Leeds General Infirmary", "St Mary's"), and whether a word opens a
sentence, a line or a speaker's turn. Pure Python: no Django, no network."""

import re
from collections.abc import Iterator

from transcripts.anonymise import words

_CONNECTORS = re.compile(r" (?:of|upon|de|da|du|del|van|von|der|den|la|le) ")
_ABBREVIATIONS = words.TITLES | {"st", "mt", "vs", "e.g", "i.e", "cf"}
_PRONOUN_I = frozenset({"I", "I'm", "I’m", "I've", "I’ve", "I'd", "I’d", "I'll", "I’ll"})
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# A word that may be capitalised: it starts with anything but a lowercase ASCII letter (cheap to
# skip in C) and keeps apostrophes and hyphens that sit between letters ("O'Neill", "Jean-Luc").
_TOKEN = re.compile(
    rf"[^\W\d_a-z](?<![\w'’{_COMBINING}-].)(?:[^\W_]|[{_COMBINING}]|['’-](?=[^\W\d_]))*"
)
_OPENERS = "\"'“‘«([{"
_ARTICLES = frozenset({"The", "A", "An"})


def sentence_initial(text: str, start: int) -> bool:
    """Does the word at `start` open a sentence, a line or a speaker's turn? Looks back over
    spaces, opening quotes and bracketed asides ("[laughs]") for . ! ? … : or a line break."""
    j = start - 1
    while j >= 0:
        c = text[j]
        if c in "\n\r":
            return True
        if c in " \t\u00a0\u202f" or c in _OPENERS or c in "\"”’'»":
            j -= 1
        elif c in ")]":
            opener = text.rfind("[" if c == "]" else "(", max(0, j - 60), j)
            if opener < 0:
                return False
            j = opener - 1
        else:
            break
    if j < 0:
        return True
    if text[j] == ".":
        k = j
        while k > 0 and not text[k - 1].isspace():
            k -= 1
        return text[k:j].lower() not in _ABBREVIATIONS
    return text[j] in "!?…:"


def _strip_possessive(word: str) -> str:
    return word[:-2] if word.endswith(("'s", "’s", "'S", "’S")) else word.rstrip("'’")


def find_capitalised(text: str, allow: frozenset[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of capitalised words in mid-sentence ("Leeds General Infirmary",
    "St Mary's") with at least one word that is not an ordinary dictionary word. `allow` holds the
    casefolded words and phrases never to flag."""
    run: list[tuple[int, int, bool]] = []  # (start, end, flagged) of each word in the run
    for m in _TOKEN.finditer(text):
        token, start = m.group(), m.start()
        if run:
            gap = text[run[-1][1] : start]
            if gap != " " and not (
                _CONNECTORS.fullmatch(gap)
                or (gap == ". " and text[run[-1][0] : run[-1][1]] == "St")
            ):
                if found := _run(text, run, allow):
                    yield found
                run = []
        if token in _PRONOUN_I or not token[0].isupper() or sentence_initial(text, start):
            skip = True
        else:
            base = _strip_possessive(token)
            skip = (
                any(c.isdigit() for c in token)
                or base.lower() in words.TITLES
                or words.non_identifying(base)
                or base.casefold() in allow
                or token.casefold() in allow
            )
        if skip:
            if run:
                if found := _run(text, run, allow):
                    yield found
                run = []
            continue
        flagged = not all(
            words.ordinary(part) or part.lower() in words.PREFIXES
            for part in base.split("-")
            if part
        )
        run.append((start, m.end(), flagged))
    if run and (found := _run(text, run, allow)):
        yield found


def _run(
    text: str, run: list[tuple[int, int, bool]], allow: frozenset[str]
) -> tuple[int, int] | None:
    """The run's span without a leading article or a trailing possessive, if a word in it is
    flagged and the whole is not allowed."""
    while run and text[run[0][0] : run[0][1]] in _ARTICLES:
        run = run[1:]  # "The Priory" → "Priory"
    if not any(flagged for _, _, flagged in run):
        return None
    start, last = run[0][0], run[-1][0]
    end = last + len(_strip_possessive(text[last : run[-1][1]]))
    if " ".join(text[start:end].split()).casefold() in allow:
        return None
    return start, end
