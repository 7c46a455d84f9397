"""Identifier detection: the candidates a reviewer accepts, edits or rejects before a transcript is
locked. Four sources, each optional: the identifiers the study knows (vault names, the deny-list,
replacements already decided), patterns (e-mail, phone, postcode, web address, date, age, year,
time in practice: patterns.py), capitalised words that are not ordinary dictionary words
(capitalised.py), and an optional named-entity recogniser. Pure Python: no Django, no network.

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
from transcripts.anonymise.capitalised import find_capitalised, sentence_initial
from transcripts.anonymise.patterns import (
    PATTERNS,
    Found,
    find_ages,
    find_dates,
    find_emails,
    find_phones,
    find_postcodes,
    find_time_in_practice,
    find_urls,
    find_years,
    word_char,
)

__all__ = [
    "CAPITALISED_REASON",
    "CATEGORIES",
    "NER_CATEGORIES",
    "NER_REASON",
    "NER_REPLACEMENTS",
    "PATTERNS",
    "SOURCES",
    "Candidate",
    "Detector",
    "Entry",
    "Found",
    "benchmark_detection",
    "entity_key",
    "find_ages",
    "find_dates",
    "find_emails",
    "find_phones",
    "find_postcodes",
    "find_time_in_practice",
    "find_urls",
    "find_years",
    "sentence_initial",
]

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
_FOLD = (
    *(("’", "'"), ("‘", "'"), ("ʼ", "'"), ("\u00a0", " "), ("\u202f", " "), ("\t", " ")),
    *(("\n", " "), ("\r", " "), ("\u2010", "-"), ("\u2011", "-")),
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_PARTICLES = frozenset(words.PARTICLES)


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
    for char, folded in _FOLD:
        if char in lower:
            lower = lower.replace(char, folded)
    return lower


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
                spelling = re.findall(r"[^\W\d_]+", entry.text)
                ordinary = spelling and all(words.dictionary_word(w) for w in spelling)
                variants = [(entry.text, "name", _NOT_LOWERCASE if ordinary else _ANY_CASE, False)]
            rank = _SOURCE_RANK.get(entry.source, len(_SOURCE_RANK))
            for text, part, gate, plural in variants:
                variant = _Variant(
                    entry, _entry_reason(entry, part), gate, plural, (part != "name", rank)
                )
                spelt = " ".join(text.split())
                if sum(c.isalnum() for c in spelt) < 2:
                    continue  # a lone letter would match every "a" and "I"
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
            if start > 0 and word_char(text[start - 1]):
                continue
            after = search[end : end + 2]
            if end == n or not word_char(text[end]):
                plural_only = False
            elif after == "s'" and (end + 2 == n or not word_char(text[end + 2])):
                plural_only = False  # "the Hartleys' house"
            elif after[:1] == "s" and (end + 1 == n or not word_char(text[end + 1])):
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
        for category, replacement, find in PATTERNS:
            for start, end, reason in find(text):
                yield (start, end, end - start, _PATTERN, (0, 0), category, replacement, reason)

    def _capitalised(self, text: str):
        for start, end in find_capitalised(text, self.allow):
            yield (start, end, end - start, _CAPITALISED, (0, 0), "capitalised", "[name]", CAPITALISED_REASON)  # fmt: skip

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
    words.load()  # once per process, not per study: timed apart
    dictionary_ms = round((time.perf_counter() - began) * 1000, 2)
    began = time.perf_counter()
    detector = Detector(entries, allow=allow)
    build_ms = round((time.perf_counter() - began) * 1000, 2)
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
        "dictionary_ms": dictionary_ms,
        "transcripts": len(texts),
        "characters": sum(len(t) for t in texts),
        "entries": len(entries),
        "candidates": sum(len(detector.detect(t)) for t in texts),
        "repeat": repeat,
    }
