"""Identifier detection: the candidates a reviewer accepts, edits or rejects before a transcript is
locked. Four sources, each optional: the identifiers the study knows (vault names, the deny-list,
replacements already decided), patterns (e-mail, phone, postcode, web address, date, age, year,
time in practice), capitalised words that are not ordinary dictionary words, and an optional
named-entity recogniser. Pure Python: no Django, no network.

Offsets are Python str indices (Unicode code points), so `text[c.start:c.end] == c.text`."""

import re
import statistics
import time
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ahocorasick

from transcripts.anonymise import words

CATEGORIES = (
    *("person", "place", "organisation", "other", "email", "phone", "postcode", "url"),
    *("date", "age", "year", "capitalised"),
)
SOURCES = ("vault", "deny-list", "decision")
CAPITALISED_REASON = "capitalised word not in the dictionary"
NER_REASON = "named-entity recogniser"
NER_CATEGORIES = {
    "PERSON": "person",
    "PER": "person",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "ORG": "organisation",
}
NER_REPLACEMENTS = {"person": "[person]", "place": "[place]", "organisation": "[organisation]"}

# Overlap ties at equal length: what the study told us beats what we guessed.
_ENTRY, _PATTERN, _CAPITALISED, _NER = range(4)
_SOURCE_RANK = {"vault": 0, "decision": 1, "deny-list": 2}

# Gates on where a name variant may match, from its spelling in the entry.
_ANY_CASE = 0  # "Hartley": not a word, so "hartley" and "HARTLEY" are the name too
_NOT_LOWERCASE = 1  # "Rose": "rose" is the verb, "Rose" and "ROSE" are the name
_MID_SENTENCE = 2  # "Will": only "Will" in mid-sentence is the name

# Searched copies of the text keep its length: these fold one character into one character.
_FOLD = str.maketrans(
    {"’": "'", "‘": "'", "ʼ": "'", "\u00a0": " ", "\u202f": " ", "\t": " ", "\n": " ",
     "\r": " ", "\u2010": "-", "\u2011": "-"}
)  # fmt: skip
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_PARTICLES = frozenset(words.PARTICLES)
_CONNECTORS = re.compile(r" (?:of|upon|de|da|du|del|van|von|der|den|la|le) ")
_ABBREVIATIONS = words.TITLES | {"st", "mt", "vs", "e.g", "i.e", "cf", "no"}
_PRONOUN_I = frozenset({"I", "I'm", "I’m", "I've", "I’ve", "I'd", "I’d", "I'll", "I’ll"})
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# A word that may be capitalised: it starts with anything but a lowercase ASCII letter (cheap to
# skip in C) and keeps apostrophes and hyphens that sit between letters ("O'Neill", "Jean-Luc").
_TOKEN = re.compile(
    rf"(?<![\w'’{_COMBINING}-])[^\W\d_a-z](?:[^\W_]|[{_COMBINING}]|['’-](?=[^\W\d_]))*"
)
_OPENERS = "\"'“‘«([{"


# ---- Patterns -------------------------------------------------------------------------------

_NUMBER_WORDS = {w: n for n, w in enumerate(words.UNITS)} | {
    w: 20 + 10 * n for n, w in enumerate(words.TENS)
}
_SPELT = (
    rf"(?:(?:{'|'.join(words.TENS)})(?:[- ](?:{'|'.join(words.UNITS[9:0:-1])}))?"
    rf"|{'|'.join(sorted(words.UNITS[1:], key=len, reverse=True))})"
)
_NUMBER = rf"(?:\d{{1,3}}|{_SPELT})"
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_WEEKDAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+(?:the\s+)?)?"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_ORDINAL = r"(?:st|nd|rd|th)"
_YEAR4 = r"(?:19|20)\d{2}"
# Words after a number that make it a count or a measure, not an age or a year.
_UNITS = (
    r"(?:minutes?|mins?|hours?|hrs?|seconds?|secs?|days?|weeks?|months?|miles?|km|metres?|meters?"
    r"|percent|per\s*cent|pounds?|quid|pence|p|euros?|dollars?|times|sessions?|people|clients?"
    r"|patients?|words|pages?|steps|calls|cases|referrals|staff|students|members|therapists"
    r"|counsellors|participants|users|messages|emails|calories|feet|foot|inches|am|pm)"
)


def _number(spelt: str) -> int | None:
    if spelt.isdigit():
        return int(spelt)
    total = 0
    for part in re.split(r"[- ]", spelt.lower()):
        if part not in _NUMBER_WORDS:
            return None
        total += _NUMBER_WORDS[part]
    return total


@dataclass(frozen=True)
class _Pattern:
    category: str
    replacement: str
    reason: str
    regex: re.Pattern
    check: Callable[[re.Match], str | None] | None = None  # the reason, or None to drop it

    def find(self, text: str):
        """(start, end, reason) of each match: of its named group where one matched (the number
        in "I'm 43"), else of the whole match."""
        for m in self.regex.finditer(text):
            reason = self.check(m) if self.check else self.reason
            if reason is not None:
                yield (*_span(m), reason)


def _span(m: re.Match) -> tuple[int, int]:
    for name in m.re.groupindex:
        if m.group(name) is not None:
            return m.span(name)
    return m.span()


def _phone(m: re.Match) -> str | None:
    digits = sum(c.isdigit() for c in m.group().replace("(0)", ""))
    if m.group().startswith("+"):
        return "phone number" if 8 <= digits <= 15 else None
    return "UK phone number" if 10 <= digits <= 11 else None


def _numeric_date(m: re.Match) -> str | None:
    parts = [int(p) for p in re.split(r"[/.-]", m.group())]
    if len(str(parts[0])) == 4 or m.group()[:4].isdigit():  # 2024-03-12
        year, month, day = parts
        ok = 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31
    else:
        first, second, year = parts
        ok = 1 <= first <= 31 and 1 <= second <= 31 and min(first, second) <= 12
        separators = set(re.findall(r"[/.-]", m.group()))
        ok = ok and len(separators) == 1 and (separators != {"."} or year > 99)
    return "date" if ok else None


def _age(low: int, high: int) -> Callable[[re.Match], str | None]:
    def check(m: re.Match) -> str | None:
        n = _number(m.group("v"))
        return "age" if n is not None and low <= n <= high else None

    return check


def _year(m: re.Match) -> str | None:
    start = _span(m)[0]
    before = m.string[max(0, start - 24) : start]
    if re.search(r"qualif\w*\s+(?:in\s+)?$", before, re.IGNORECASE):
        return "year of qualifying"
    return "year"


PATTERNS = (
    _Pattern(
        "email",
        "[email]",
        "e-mail address",
        re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])"),
    ),
    _Pattern(
        "url",
        "[website]",
        "web address",
        re.compile(
            r"(?<![\w@/.])(?:(?:https?|ftp)://|www\.)[^\s<>\"“”‘’]*[^\s<>\"“”‘’.,;:!?)\]']"
            r"|(?<![\w@./-])(?:[a-z0-9-]+\.)+(?:com|org|net|uk|io|info|edu|gov|eu|ie)"
            r"(?:/[^\s<>\"“”‘’]*[^\s<>\"“”‘’.,;:!?)\]'])?(?![\w@-])",
            re.IGNORECASE,
        ),
    ),
    _Pattern(
        "phone",
        "[phone number]",
        "phone number",
        re.compile(
            r"(?<![\w+/.-])(?:\+\d{1,3}(?:[ -]?\(0\))?(?:[ -]?\(?\d{1,5}\)?){2,6}"
            r"|\(?0\d{1,4}\)?(?:[ -]?\d{2,6}){1,3})(?!\w|[.,:/-]\d)"
        ),
        _phone,
    ),
    _Pattern(
        "postcode",
        "[postcode]",
        "UK postcode",
        re.compile(
            r"(?<![\w-])(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}(?![\w-])"
        ),
    ),
    _Pattern(
        "date",
        "[date]",
        "date",
        re.compile(
            rf"(?<!\w)(?:{_WEEKDAY}{_DAY}{_ORDINAL}?(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR4})?"
            rf"|{_WEEKDAY}{_MONTH}\s+(?:the\s+)?(?:{_DAY}{_ORDINAL}(?:,?\s+{_YEAR4})?"
            rf"|{_DAY},?\s+{_YEAR4})|{_MONTH}\s+{_YEAR4})(?!\w)"
        ),
    ),
    _Pattern(
        "date",
        "[date]",
        "date",
        re.compile(
            r"(?<![\w/.:-])(?:\d{1,2}([/.-])\d{1,2}\1(?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})"
            r"(?![\w/:-]|\.\d)"
        ),
        _numeric_date,
    ),
    _Pattern(
        "age",
        "[age]",
        "age",
        re.compile(
            r"(?<!\w)(?:I['’]m|I\s+am|I\s+was|I\s+turned|I['’]ll\s+be|I\s+will\s+be"
            r"|(?:s?he|they)['’](?:s|re)|(?:s?he|they)\s+(?:is|are|was|were|turned)"
            r"|aged|at\s+the\s+age\s+of|age|turned|turning)\s+"
            rf"(?:just\s+|nearly\s+|almost\s+|about\s+|only\s+)?(?P<v>{_NUMBER})"
            rf"(?![\w-]|\s*{_UNITS}\b|\s*%|[.,:]\d|\s+years?\b(?![- ]old))",
            re.IGNORECASE,
        ),
        _age(10, 110),
    ),
    _Pattern(
        "age",
        "[age]",
        "age",
        re.compile(
            rf"(?<![\w-])(?P<v>{_NUMBER})(?:[- ](?:years?|yrs?)[- ]old|\s+years\s+of\s+age)(?!\w)",
            re.IGNORECASE,
        ),
        _age(1, 119),
    ),
    _Pattern(
        "age",
        "[age]",
        "age",
        re.compile(
            r"(?<!\w)in\s+(?:my|his|her|their|your|our)\s+(?P<v>(?:(?:early|mid|late)[- ]?)?"
            r"(?:teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties))"
            r"(?!\w)",
            re.IGNORECASE,
        ),
    ),
    _Pattern(
        "other",
        "[number of years]",
        "time in practice",
        re.compile(
            rf"(?<![\w-])(?P<v>(?:\d{{1,2}}|{_SPELT})(?:\s+and\s+a\s+half)?\s+years?)['’]?\s+"
            r"(?:qualified|post[- ]?qualifi\w+|in\s+practice|of\s+practice|practi[sc]ing"
            r"|(?:of\s+)?experience|in\s+the\s+(?:job|role|profession|field|service)|as\s+an?\s)"
            rf"|(?<!\w)(?:qualified|practi[sc]ing|practi[sc]ed|working|worked|been\s+(?:\w+\s+)?"
            rf"(?:an?\s+)?(?:\w+\s+)?(?:therapist|counsel+or|psychotherapist|psychologist"
            rf"|practitioner|nurse|doctor|social\s+worker))\s+for\s+(?:about\s+|around\s+|nearly\s+"
            rf"|almost\s+|over\s+|just\s+over\s+|just\s+under\s+|roughly\s+)?"
            rf"(?P<w>(?:\d{{1,2}}|{_SPELT})(?:\s+and\s+a\s+half)?\s+years?)(?!\w)"
            rf"|(?<!\w)qualified\s+(?:about\s+|around\s+|nearly\s+|almost\s+|over\s+)?"
            rf"(?P<x>(?:\d{{1,2}}|{_SPELT})(?:\s+and\s+a\s+half)?\s+years?)\s+ago(?!\w)",
            re.IGNORECASE,
        ),
    ),
    _Pattern(
        "year",
        "[year]",
        "year",
        re.compile(
            rf"(?<![\w£$€#.,:/'’-])(?P<v>{_YEAR4}(?:s|[-–/](?:{_YEAR4}|\d{{2}})(?!\d))?)"
            rf"(?![\w%]|[.,:/-]\d|\s+{_UNITS}\b)"
            r"|(?<![\w'’])(?P<w>['’](?:[0-9]\d)s?)(?!\w)"
        ),
        _year,
    ),
)


@dataclass(frozen=True)
class Entry:
    """An identifier the study knows about."""

    text: str  # "Imogen Hartley", "Leeds General Infirmary"
    category: str  # person, place, organisation, other
    replacement: str  # "[participant]", "[hospital in the north]"
    source: str  # vault, deny-list, decision


@dataclass(frozen=True)
class Candidate:
    """A span of the text that may identify someone, with a suggested replacement."""

    start: int
    end: int
    text: str
    category: str
    replacement: str
    reason: str
    entity: str  # groups the occurrences of one entity


@dataclass(frozen=True, slots=True)
class _Variant:
    entry: Entry
    reason: str
    gate: int
    plural: bool  # "the Hartleys" is the name too
    rank: tuple[int, int]


def entity_key(text: str, category: str = "") -> str:
    """The key that groups occurrences of one entity: casefolded, possessive stripped, whitespace
    normalised ("Imogen  Hartley's" → "imogen hartley"); a phone number keeps only its digits."""
    key = unicodedata.normalize("NFC", text).translate(_APOSTROPHES).strip()
    if category == "phone":
        key = "".join(c for c in key.replace("(0)", "") if c.isdigit() or c == "+")
        return "0" + key[3:] if key.startswith("+44") else key
    key = re.sub(r"(?:'s|')$", "", key, flags=re.IGNORECASE)
    return " ".join(key.split()).casefold()


def _searchable(text: str) -> str:
    """Lowercased, apostrophes and spaces folded, with every index where it was."""
    lower = text.lower()
    if len(lower) != len(text):  # "İ" lowercases to two code points: fold one at a time
        lower = "".join(low if len(low := c.lower()) == 1 else c for c in text)
    return lower.translate(_FOLD)


def _word_char(c: str) -> bool:
    return c.isalnum() or unicodedata.category(c) in ("Mn", "Mc")


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


def _person_variants(entry: Entry) -> list[tuple[str, str, int, bool]]:
    """(text, which part, gate, plural allowed) for the full name and each usable part."""
    tokens = [t for t in entry.text.split() if t.lower().rstrip(".") not in words.TITLES]
    if not tokens:
        return []
    parts = [t for t in tokens if sum(c.isalpha() for c in t) >= 2]

    def part_gate(part: str) -> int | None:
        if part.lower() in _PARTICLES:
            return None
        if not words.dictionary_word(part):
            return _ANY_CASE
        if not part[0].isupper():
            return None  # an ordinary word typed in lowercase in the entry: not a name part
        return _MID_SENTENCE if part.lower() in words.COMMON_WORDS else _NOT_LOWERCASE

    if len(tokens) == 1:
        gate = part_gate(tokens[0]) if parts else None
        return [] if gate is None else [(tokens[0], "name", gate, True)]
    full = _ANY_CASE if any(part_gate(p) == _ANY_CASE for p in parts) else _NOT_LOWERCASE
    variants = [(entry.text, "name", full, True), (" ".join(tokens), "name", full, True)]
    if len(tokens) > 2:
        variants.append((f"{tokens[0]} {tokens[-1]}", "name", full, True))
    for i, part in enumerate(tokens):
        gate = part_gate(part) if part in parts else None
        if gate is not None:
            which = "first name" if i == 0 else "surname" if i == len(tokens) - 1 else "middle name"
            variants.append((part, which, gate, True))
    return variants


def _entry_reason(entry: Entry, part: str) -> str:
    whose = {"name": "", "first name": "'s first name", "surname": "'s surname"}.get(
        part, "'s middle name"
    )
    if entry.source == "vault":
        if entry.category == "person":
            return f"participant's {part} (vault)"
        return f"participant's {entry.category} (vault)"
    label = {"deny-list": "deny-list", "decision": "replacement already decided"}.get(
        entry.source, entry.source
    )
    return f"{label}: {entry.category}{whose}"


class Detector:
    """Built once per study (the entries become one Aho-Corasick automaton), then `detect` runs
    over each transcript. `names`, `patterns` and `capitalised` switch those sources off; `ner`
    adds a named-entity recogniser returning (start, end, label) triples."""

    def __init__(
        self,
        entries: Iterable[Entry] = (),
        *,
        allow: Iterable[str] = (),
        names: bool = True,
        patterns: bool = True,
        capitalised: bool = True,
        ner: Callable[[str], list[tuple[int, int, str]]] | None = None,
    ) -> None:
        self.allow = frozenset(" ".join(a.split()).casefold() for a in allow)
        self.names, self.patterns, self.capitalised, self.ner = names, patterns, capitalised, ner
        by_key: dict[str, list[_Variant]] = {}
        for entry in entries:
            if entry.category == "person":
                variants = _person_variants(entry)
            else:
                gate = (
                    _NOT_LOWERCASE
                    if all(words.dictionary_word(w) for w in re.findall(r"[^\W\d_]+", entry.text))
                    else _ANY_CASE
                )
                variants = [(entry.text, "name", gate, False)]
            rank = _SOURCE_RANK.get(entry.source, len(_SOURCE_RANK))
            for text, part, gate, plural in variants:
                variant = _Variant(
                    entry, _entry_reason(entry, part), gate, plural, (part != "name", rank)
                )
                spelt = " ".join(text.split())
                for form in {spelt, *(unicodedata.normalize(f, spelt) for f in ("NFC", "NFD"))}:
                    by_key.setdefault(_searchable(form), []).append(variant)
        self._automaton = ahocorasick.Automaton() if by_key else None
        for key, variants in by_key.items():
            variants.sort(key=lambda v: v.rank)
            self._automaton.add_word(key, (len(key), tuple(dict.fromkeys(variants))))
        if self._automaton is not None:
            self._automaton.make_automaton()

    def detect(self, text: str) -> list[Candidate]:
        """Sorted by start; no two overlap (a longer match wins; at equal length: vault/deny-list/
        decision entries beat patterns beat capitalised words beat ner)."""
        # (start, end, length it weighs, source, rank within source, category, replacement, reason)
        found: list[tuple[int, int, int, int, tuple, str, str, str]] = []
        if self.names and self._automaton is not None:
            found += self._entries(text)
        if self.patterns:
            found += self._patterns(text)
        if self.capitalised:
            found += self._capitalised(text)
        if self.ner is not None:
            found += self._named_entities(text)
        return _resolve(text, found)

    def _entries(self, text: str):
        search = _searchable(text)
        n = len(text)
        for last, (length, variants) in self._automaton.iter(search):
            start, end = last - length + 1, last + 1
            if start > 0 and _word_char(text[start - 1]):
                continue
            after = search[end : end + 2]
            if end == n or not _word_char(text[end]):
                plural_only = False
            elif after == "s'" and (end + 2 == n or not _word_char(text[end + 2])):
                plural_only = False  # "the Hartleys' house"
            elif after[:1] == "s" and (end + 1 == n or not _word_char(text[end + 1])):
                plural_only = True  # "the Hartleys"
            else:
                continue
            matched = text[start:end]
            for v in variants:
                if plural_only and not v.plural:
                    continue
                if v.gate == _NOT_LOWERCASE and not any(c.isupper() for c in matched):
                    continue
                if v.gate == _MID_SENTENCE and not (
                    matched[0].isupper()
                    and not matched.isupper()
                    and not sentence_initial(text, start)
                ):
                    continue
                # The name with its plural or possessive "s" weighs as long as a capitalised
                # "Hartleys" would, so the entry is not lost to a guess.
                extent = end - start + (after[:1] == "s")
                yield (
                    start,
                    end,
                    extent,
                    _ENTRY,
                    v.rank,
                    v.entry.category,
                    v.entry.replacement,
                    v.reason,
                )
                break

    def _patterns(self, text: str):
        for pattern in PATTERNS:
            for start, end, reason in pattern.find(text):
                yield (
                    start,
                    end,
                    end - start,
                    _PATTERN,
                    (0, 0),
                    pattern.category,
                    pattern.replacement,
                    reason,
                )

    def _capitalised(self, text: str):
        run: list[tuple[int, int, bool]] = []  # (start, end, flagged) of the words in this run

        def close():
            if any(flagged for _, _, flagged in run):
                start, end = run[0][0], run[-1][1]
                end -= len(text[start:end]) - len(re.sub(r"['’]s?$", "", text[start:end]))
                if " ".join(text[start:end].split()).casefold() not in self.allow:
                    yield (
                        start,
                        end,
                        end - start,
                        _CAPITALISED,
                        (0, 0),
                        "capitalised",
                        "[name]",
                        CAPITALISED_REASON,
                    )
            run.clear()

        for m in _TOKEN.finditer(text):
            token, start = m.group(), m.start()
            if run:
                gap = text[run[-1][1] : start]
                joined = gap == " " or (
                    _CONNECTORS.fullmatch(gap) is not None
                    or (gap == ". " and text[run[-1][0] : run[-1][1]] == "St")
                )
                if not joined:
                    yield from close()
            base = re.sub(r"['’]s?$", "", token)
            if (
                not token[0].isupper()
                or token in _PRONOUN_I
                or any(c.isdigit() for c in token)
                or base.lower() in words.TITLES
                or words.non_identifying(base)
                or base.casefold() in self.allow
                or token.casefold() in self.allow
                or sentence_initial(text, start)
            ):
                yield from close()
                continue
            flagged = not all(words.ordinary(part) for part in base.split("-") if part)
            run.append((start, m.end(), flagged))
        yield from close()

    def _named_entities(self, text: str):
        for start, end, label in self.ner(text):
            category = NER_CATEGORIES.get(label.upper())
            if category is None or not 0 <= start < end <= len(text):
                continue
            if " ".join(text[start:end].split()).casefold() in self.allow:
                continue
            yield (
                start,
                end,
                end - start,
                _NER,
                (0, 0),
                category,
                NER_REPLACEMENTS[category],
                NER_REASON,
            )


def _resolve(text: str, found: list) -> list[Candidate]:
    """Keep the longest of overlapping candidates; ties go to the stronger source, then the more
    specific entry variant, then the earlier start."""
    found.sort(key=lambda f: (-f[2], f[3], f[4], f[0]))
    starts: list[int] = []
    kept: list[tuple] = []
    lost_entries: list[tuple] = []
    for f in found:
        start, end = f[0], f[1]
        i = bisect_left(starts, start)
        if (i > 0 and kept[i - 1][1] > start) or (i < len(kept) and kept[i][0] < end):
            if f[3] == _ENTRY:
                lost_entries.append(f)
            continue
        starts.insert(i, start)
        kept.insert(i, f)
    # A capitalised run that swallowed a known name says so: "St Imogen's Hospice" is still the
    # participant's name to the reviewer.
    notes: dict[int, str] = {}
    for f in lost_entries:
        i = bisect_left(starts, f[0] + 1) - 1
        if i >= 0 and kept[i][3] == _CAPITALISED and kept[i][1] >= f[1]:
            notes.setdefault(i, f[7])
    candidates = []
    for i, (start, end, _, _, _, category, replacement, reason) in enumerate(kept):
        span = text[start:end]
        if i in notes:
            reason = f"{reason}; contains {notes[i]}"
        candidates.append(
            Candidate(start, end, span, category, replacement, reason, entity_key(span, category))
        )
    return candidates


def benchmark_detection(
    texts: list[str] | None = None,
    entries: Iterable[Entry] | None = None,
    *,
    allow: Iterable[str] = (),
    repeat: int = 5,
) -> dict:
    """Detection over a corpus next to one plain regex pass over the same text (`\\w+`, every
    word found, the floor of anything that reads every word) and a naive alternation regex of the
    same entries. Without arguments: the 14 planted transcripts and a 2,000-entry deny-list."""
    if texts is None:
        from transcripts.tests.planted import bench_workload

        texts, entries, allow = bench_workload()
    entries = list(entries or ())

    def median_ms(run: Callable[[], object]) -> float:
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            run()
            times.append((time.perf_counter() - began) * 1000)
        return round(statistics.median(times), 2)

    began = time.perf_counter()
    detector = Detector(entries, allow=allow)
    build_ms = round((time.perf_counter() - began) * 1000, 2)
    detector.detect(texts[0])  # the dictionary loads once per process, not per transcript
    detect_ms = median_ms(lambda: [detector.detect(t) for t in texts])
    word = re.compile(r"\w+")
    regex_scan_ms = median_ms(lambda: [word.findall(t) for t in texts])
    alternation = re.compile(
        r"\b(?:"
        + "|".join(re.escape(e.text) for e in sorted(entries, key=lambda e: -len(e.text)))
        + r")\b",
        re.IGNORECASE,
    )
    alternation_ms = median_ms(lambda: [alternation.findall(t) for t in texts]) if entries else 0
    return {
        "detect_ms": detect_ms,
        "regex_scan_ms": regex_scan_ms,
        "ratio": round(detect_ms / regex_scan_ms, 2) if regex_scan_ms else None,
        "alternation_regex_ms": alternation_ms,
        "build_ms": build_ms,
        "transcripts": len(texts),
        "characters": sum(len(t) for t in texts),
        "entries": len(entries),
        "candidates": sum(len(detector.detect(t)) for t in texts),
        "repeat": repeat,
    }
