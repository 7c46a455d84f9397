"""Identifier detection: the planted corpus (recall and precision, printed with -s), each source of
candidates with what it must and must not flag, offsets in code points, and overlaps. Pure: no
database."""

import itertools
import random
import subprocess
import sys

import pytest

from transcripts.anonymise import words
from transcripts.anonymise.detect import (
    CAPITALISED_REASON,
    NER_REASON,
    Candidate,
    Detector,
    Entry,
    benchmark_detection,
    entity_key,
)
from transcripts.tests import planted

IMOGEN = Entry("Imogen Hartley", "person", "[participant]", "vault")


def found(text: str, *entries: Entry, **options) -> list[tuple[str, str]]:
    """(text, category) of every candidate."""
    return [(c.text, c.category) for c in Detector(entries, **options).detect(text)]


def only(text: str, **options) -> list[tuple[str, str]]:
    """Candidates of one source: patterns alone unless told otherwise."""
    options = {"names": False, "capitalised": False} | options
    return found(text, **options)


def one(text: str, *entries: Entry, **options) -> Candidate:
    (candidate,) = Detector(entries, **options).detect(text)
    return candidate


# ---- The planted corpus -------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> list[planted.Transcript]:
    return planted.corpus()


@pytest.fixture(scope="module")
def measured(corpus) -> dict:
    detector = Detector(planted.vault_entries() + planted.deny_entries(2000), allow=planted.ALLOW)
    return planted.measure(corpus, detector.detect)


def test_the_corpus_is_fourteen_long_interviews_with_every_kind_of_plant(corpus):
    assert len(corpus) == 14
    assert all(len(t.text.split()) >= 2000 for t in corpus)
    kinds = {p.kind for t in corpus for p in t.planted}
    assert kinds >= {"vault", "deny-list", "email", "phone", "postcode", "date", "age", "year"}
    for t in corpus:
        assert all(t.text[p.start : p.end] == p.text for p in t.planted)
    assert planted.corpus()[3].text == corpus[3].text  # deterministic


def test_recall_and_precision_on_the_planted_corpus(measured):
    for key, (value, hit, n) in measured["recall"].items():
        print(f"recall    {key:<20} {value:6.3f}  ({hit}/{n})")
    for key, (value, ok, n) in measured["precision"].items():
        print(f"precision {key:<20} {value:6.3f}  ({ok}/{n})")
    recall = measured["recall"]
    assert recall["source:vault"][0] >= 0.98
    assert recall["source:deny-list"][0] >= 0.98
    assert recall["source:pattern"][0] >= 0.95
    for kind in ("email", "phone", "postcode", "url", "date", "age", "year", "duration"):
        assert recall[f"kind:{kind}"][0] >= 0.95, kind


def test_candidates_are_sorted_do_not_overlap_and_quote_the_text(corpus):
    detector = Detector(planted.vault_entries() + planted.deny_entries(), allow=planted.ALLOW)
    for t in corpus:
        candidates = detector.detect(t.text)
        assert candidates == sorted(candidates, key=lambda c: c.start)
        assert all(a.end <= b.start for a, b in itertools.pairwise(candidates))
        assert all(t.text[c.start : c.end] == c.text for c in candidates)
        assert all(
            c.replacement.startswith("[") and c.replacement.endswith("]") for c in candidates
        )


def test_any_text_gives_valid_candidates():
    """Random mixtures of words, identifiers, digits, punctuation and awkward Unicode."""
    rng = random.Random(7)  # noqa: S311 — test data
    pieces = [
        *"abcdefgXYZ019 .,;:!?'’\"“”()[]-–/@+£%\n",
        *("é", "\u0301", "👍🏽", "👩\u200d💻", "İ", "ß", "Zoë", "Imogen", "Hartley's", "March"),
        *("2019", "07700 900123", "LS1 4AP", "www.x.org", "I'm 43", "Dr ", "St "),
    ]
    detector = Detector([IMOGEN, Entry("Zoë", "person", "[client]", "deny-list")])
    for _ in range(500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(60)))
        candidates = detector.detect(text)
        assert all(text[c.start : c.end] == c.text and c.start < c.end for c in candidates)
        assert all(a.end <= b.start for a, b in itertools.pairwise(candidates))


def test_the_benchmark_reports_detection_next_to_a_plain_regex_pass():
    result = benchmark_detection(repeat=1)
    print(
        f"bench: detect {result['detect_ms']} ms, \\w+ scan {result['regex_scan_ms']} ms, "
        f"ratio {result['ratio']}, alternation regex {result['alternation_regex_ms']} ms, "
        f"build {result['build_ms']} ms, dictionary {result['dictionary_ms']} ms"
    )
    assert result["transcripts"] == 14 and result["entries"] == 2014
    assert {"detect_ms", "regex_scan_ms", "ratio"} <= result.keys()


# ---- Entries: vault, deny-list, decisions --------------------------------------------------


def test_a_participant_is_found_by_full_name_first_name_and_surname():
    text = "Imogen Hartley joined. Later imogen said that HARTLEY was her name, and Imogen too."
    candidates = Detector([IMOGEN]).detect(text)
    assert [(c.text, c.reason) for c in candidates] == [
        ("Imogen Hartley", "participant's name (vault)"),
        ("imogen", "participant's first name (vault)"),
        ("HARTLEY", "participant's surname (vault)"),
        ("Imogen", "participant's first name (vault)"),
    ]
    assert {c.replacement for c in candidates} == {"[participant]"}
    assert {c.category for c in candidates} == {"person"}


def test_possessives_and_plurals_leave_the_suffix_outside_the_candidate():
    text = "Imogen's room, the Hartleys' dog, Hartley’s car, the Hartleys, James' coat."
    entries = [IMOGEN, Entry("James Wood", "person", "[client]", "deny-list")]
    assert [c for c, _ in found(text, *entries, capitalised=False)] == [
        "Imogen",
        "Hartley",
        "Hartley",
        "Hartley",
        "James",
    ]
    assert entity_key("Hartley’s") == entity_key("HARTLEY") == "hartley"


def test_a_title_stays_outside_the_name():
    assert found("I saw Dr Hartley and Mrs. Hartley.", IMOGEN) == [
        ("Hartley", "person"),
        ("Hartley", "person"),
    ]


def test_names_match_on_word_boundaries_only():
    entries = [Entry("Ann Lee", "person", "[client]", "deny-list")]
    assert found("Planning the annual leeway with Ann and Mr Lee.", *entries) == [
        ("Ann", "person"),
        ("Lee", "person"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("Zoë Ashworth", "I asked Zoë, then ZOË and zoë.", ["Zoë", "ZOË", "zoë"]),
        ("Zoë Ashworth", "Then Zoe\u0308 wrote back.", ["Zoe\u0308"]),  # decomposed
        ("Siobhán O'Neill", "Siobhán said O’Neill’s view was fair.", ["Siobhán", "O’Neill"]),
        ("Jean-Luc Marchetti", "I told Jean-Luc, not Jean.", ["Jean-Luc"]),
        ("José Ruiz", "Jose\u0301 and Jose are different.", ["Jose\u0301"]),
        ("Jose Ruiz", "Jose\u0301 and Jose are different.", ["Jose"]),
    ],
)
def test_names_with_accents_apostrophes_and_hyphens(name, text, expected):
    entry = Entry(name, "person", "[participant]", "vault")
    assert [c for c, _ in found(text, entry, capitalised=False)] == expected


def test_a_name_part_that_is_a_word_matches_only_where_it_is_a_name():
    rose = Entry("Rose Whitlock", "person", "[client]", "deny-list")
    will = Entry("Will Brannigan", "person", "[colleague]", "deny-list")
    # "rose" is a verb: only the capitalised "Rose" is the name, at a sentence start too.
    assert found("The tension rose. Rose came back, and ROSE left.", rose) == [
        ("Rose", "person"),
        ("ROSE", "person"),
    ]
    # "will" is among the commonest words: only "Will" in mid-sentence is the name.
    assert found("Will you come? I will, said Will. I told WILL.", will) == [("Will", "person")]
    assert one("Ask Will Brannigan.", will).reason == "deny-list: person"
    assert one("Ask Will.", will).reason == "deny-list: person's first name"


def test_every_source_and_category_says_why():
    entries = [
        Entry("Bartek Nowicki", "person", "[client]", "deny-list"),
        Entry("Otley", "place", "[town in the north]", "deny-list"),
        Entry("Brightwater Trust", "organisation", "[charity]", "deny-list"),
        Entry("Leeds", "place", "[city in the north]", "decision"),
    ]
    text = "Nowicki moved from Otley to Leeds to work at Brightwater Trust."
    assert [(c.text, c.replacement, c.reason) for c in Detector(entries).detect(text)] == [
        ("Nowicki", "[client]", "deny-list: person's surname"),
        ("Otley", "[town in the north]", "deny-list: place"),
        ("Leeds", "[city in the north]", "replacement already decided: place"),
        ("Brightwater Trust", "[charity]", "deny-list: organisation"),
    ]


def test_an_organisation_made_of_words_matches_only_when_capitalised():
    entry = Entry("Riverbank Youth Project", "organisation", "[youth project]", "deny-list")
    assert found("the riverbank youth project at Riverbank Youth Project", entry) == [
        ("Riverbank Youth Project", "organisation")
    ]


def test_entries_without_letters_or_too_short_to_match_safely():
    entries = [
        Entry("4021", "other", "[staff number]", "deny-list"),
        Entry("J", "person", "[client]", "deny-list"),
        Entry("", "place", "[place]", "deny-list"),
        Entry("Dr", "person", "[doctor]", "deny-list"),
    ]
    assert found("My number was 4021, said J to Dr Penhallow.", *entries, capitalised=False) == [
        ("4021", "other")
    ]


def test_the_vault_wins_a_tie_with_the_deny_list():
    entries = [
        Entry("Imogen Hartley", "person", "[colleague]", "deny-list"),
        IMOGEN,
    ]
    candidate = one("with Imogen Hartley", *entries)
    assert (candidate.replacement, candidate.reason) == (
        "[participant]",
        "participant's name (vault)",
    )


def test_two_thousand_entries_build_one_matcher_that_finds_each_of_them():
    entries = planted.deny_entries(2000)
    detector = Detector(entries, patterns=False, capitalised=False)
    sample = entries[::97]
    text = " and ".join(e.text for e in sample) + "."
    names = {c.text for c in detector.detect(text)}
    assert names >= {e.text for e in sample}


# ---- Patterns -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "imogen.hartley@nhs.net",
        "j_o+tag@pennine-psych.org.uk",
        "Zoë.A@example.com",
    ],
)
def test_emails(text):
    assert only(f"Write to {text}. Thanks") == [(text, "email")]


@pytest.mark.parametrize("text", ["see you @ the meeting", "me@home", "a @ b.com"])
def test_not_emails(text):
    assert [c for c in only(text) if c[1] == "email"] == []


@pytest.mark.parametrize(
    "text",
    [
        "07700 900123",
        "07700-900-123",
        "07700900123",
        "07700 900 123",
        "+44 7700 900123",
        "+44 (0)113 496 0123",
        "0113 496 0123",
        "020 7946 0321",
        "(01632) 960 555",
        "+1 415 555 0132",
        "+33 1 23 45 67 89",
        "+353 1 234 5678",
    ],
)
def test_phone_numbers(text):
    assert only(f"Ring {text}, any time.") == [(text, "phone")]


@pytest.mark.parametrize(
    "text",
    [
        "at 12:30 on Monday",
        "it cost £1,500 a month",
        "2,019 people waiting",
        "version 3.2.1 crashed",
        "scores from 0 to 10",
        "1,000,000 views",
        "extension 4021",
        "room 0113",
        "a 10-minute break",
        "24 out of 27",
    ],
)
def test_not_phone_numbers(text):
    assert [c for c in only(text) if c[1] == "phone"] == []


@pytest.mark.parametrize(
    "text", ["LS1 4AP", "SW1A 1AA", "M1 1AE", "EC1A 1BB", "CF10 3AT", "B338TH"]
)
def test_postcodes(text):
    assert only(f"Post it to {text}.") == [(text, "postcode")]


@pytest.mark.parametrize("text", ["the M25 again", "LS6 is nice", "CBT 1 and 2", "A1 road"])
def test_not_postcodes(text):
    assert only(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "https://calder-talking.example.com/team",
        "http://www.northgate.example.org/about-us/staff",
        "www.penninepsych.org.uk",
        "airevalleycounselling.co.uk",
        "leedsmind.org.uk/groups",
    ],
)
def test_web_addresses(text):
    assert only(f"It is on {text}. Have a look") == [(text, "url")]


@pytest.mark.parametrize("text", ["e.g. this", "i.e. that", "and so on, etc. Then", "v3.2.1"])
def test_not_web_addresses(text):
    assert only(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "12 March 2024",
        "12th of March",
        "3rd of November 2019",
        "March 12, 2024",
        "March 12th",
        "Tuesday 4 June",
        "Tuesday, March 12th",
        "March 2024",
        "12/03/2024",
        "03/12/24",
        "12.03.2024",
        "2024-03-12",
        "4 Sept",
    ],
)
def test_dates(text):
    assert only(f"It was on {text}, I think.") == [(text, "date")]


@pytest.mark.parametrize(
    "text",
    [
        "back in March, I think",
        "May I ask something?",
        "it may 12 times",
        "version 1.2.24",
        "32/13/2024",
        "12/30 of them",
        "March on, 2 steps",
    ],
)
def test_not_dates(text):
    assert [c for c in only(text) if c[1] == "date"] == []


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("I'm 43 now", "43"),
        ("I am 51, so", "51"),
        ("I was 25 when I qualified", "25"),
        ("she's 16 and at school", "16"),
        ("a woman aged 38, referred", "38"),
        ("at the age of 24, straight", "24"),
        ("he was 43 years old", "43"),
        ("a 57-year-old man", "57"),
        ("I'm forty-three.", "forty-three"),
        ("I'm in my forties", "forties"),
        ("in her late thirties", "late thirties"),
        ("I turned 50 last year", "50"),
    ],
)
def test_ages(text, age):
    assert only(text) == [(age, "age")]


@pytest.mark.parametrize(
    "text",
    [
        "I'm 5 minutes away",
        "I was 20 minutes late",
        "I'm 100 percent sure",
        "I am 2 sessions in",
        "I'm one of the few",
        "I was 12:30 early",
        "aged cheese",
        "in the nineties we",
    ],
)
def test_not_ages(text):
    assert [c for c in only(text) if c[1] == "age"] == []


@pytest.mark.parametrize(
    ("text", "year", "reason"),
    [
        ("in 2019 we moved", "2019", "year"),
        ("since 2008, really", "2008", "year"),
        ("the 2016-17 funding", "2016-17", "year"),
        ("back in the 1990s", "1990s", "year"),
        ("I left in '08, when", "'08", "year"),
        ("I qualified in 2010.", "2010", "year of qualifying"),
        ("2019 was hard", "2019", "year"),
    ],
)
def test_years(text, year, reason):
    candidates = Detector(names=False, capitalised=False).detect(text)
    assert [(c.text, c.category, c.reason) for c in candidates] == [(year, "year", reason)]


@pytest.mark.parametrize(
    "text",
    [
        "at 12:30 or 20:19",
        "2,019 clients",
        "about 2000 clients",
        "it cost £2019",
        "version 2019.1",
        "around 3000 of them",
        "in 1850 or 2150",
        "code 20190",
        "2019% growth",
    ],
)
def test_not_years(text):
    assert [c for c in only(text) if c[1] == "year"] == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("I am twelve years qualified now", "twelve years"),
        ("I have been qualified for 15 years", "15 years"),
        ("I've been a counsellor for nine years", "nine years"),
        ("I've been practising for about twenty-two years", "twenty-two years"),
        ("seven years post-qualification", "seven years"),
        ("three and a half years in practice", "three and a half years"),
        ("I qualified ten years ago", "ten years"),
    ],
)
def test_time_in_practice(text, span):
    candidate = one(text, names=False, capitalised=False)
    assert (candidate.text, candidate.replacement) == (span, "[number of years]")


@pytest.mark.parametrize(
    "text", ["I lived there for twelve years", "twelve years later", "it took years"]
)
def test_not_time_in_practice(text):
    assert only(text) == []


# ---- Capitalised words ----------------------------------------------------------------------


def test_capitalised_words_outside_the_dictionary_are_flagged_in_mid_sentence():
    candidate = one("We met at the Ffion centre.")
    assert (candidate.text, candidate.category, candidate.replacement, candidate.reason) == (
        "Ffion",
        "capitalised",
        "[name]",
        CAPITALISED_REASON,
    )


def test_a_run_of_capitalised_words_is_one_candidate():
    text = "I worked at Leeds General Infirmary, then St Mary's Hospital, then the University of Bradford."
    assert only(text, capitalised=True, patterns=False) == [
        ("Leeds General Infirmary", "capitalised"),
        ("St Mary's Hospital", "capitalised"),
        ("University of Bradford", "capitalised"),
    ]


def test_a_run_of_ordinary_words_is_not_flagged():
    assert found("a letter from the Royal College and the Health Service.") == []


@pytest.mark.parametrize(
    "text",
    [
        "Zanele arrived first.",  # text start
        "It was fine. Zanele arrived.",
        "Was it? Zanele said yes!  Zanele again.",
        "Interviewer: Zanele, can you hear me?\nP3: Zanele is here.",
        '"Zanele," she said. "Zanele."',
        "I laughed. [laughs] Zanele knew.",
        "We waited… Zanele came.",
    ],
)
def test_sentence_initial_capitals_are_not_flagged(text):
    assert found(text) == []


def test_the_pronoun_i_is_never_flagged():
    assert found("Then I said I'm sure I'd go, and I've been, I'll say.") == []


def test_days_months_and_common_proper_nouns_are_not_flagged():
    text = "We met on Monday in March, before Christmas, in English, thank God, said Mum."
    assert found(text, names=False, patterns=False) == []


def test_the_allow_list_keeps_words_out_and_acronyms_are_flagged_without_it():
    text = "We used Teams, then Zoom, for CBT, with the BACP and the NHS."
    assert found(text, allow=["teams", "ZOOM", "CBT", "BACP", "NHS"]) == []
    assert {c for c, _ in found(text)} >= {"Teams", "CBT", "BACP", "NHS"}


def test_a_title_or_an_article_is_not_part_of_a_capitalised_run():
    assert found("I saw Dr Penhallow at The Ffion Centre.") == [
        ("Penhallow", "capitalised"),
        ("Ffion Centre", "capitalised"),
    ]


def test_a_name_the_dictionary_also_lists_as_a_word_is_flagged_when_capitalised():
    # web2 knows "mary" and "bath" as words and as proper nouns; capitalised in mid-sentence
    # they are the name. The commonest words ("Will", "Mark") stay words.
    assert [c for c, _ in found("I told Mary and Mark about Bath.")] == ["Mary", "Bath"]


def test_the_dictionary_comes_from_the_installed_package_and_loads_once():
    assert words.ordinary("Thinking") and words.ordinary("supervision")
    assert not words.ordinary("Hartley")
    assert words._web2() is words._web2()
    assert 450 <= len(words.COMMON_WORDS) <= 550


# ---- Offsets --------------------------------------------------------------------------------


def test_offsets_are_code_points_after_emoji_and_combining_marks():
    text = "👩\u200d💻 Jose\u0301 👍🏽 met Imogen Hartley on 12 March 2024 at imogen@x.org 🇬🇧 Zoë, Ffion."
    zoe = Entry("Zoë", "person", "[client]", "deny-list")
    candidates = Detector([IMOGEN, zoe]).detect(text)
    assert all(text[c.start : c.end] == c.text for c in candidates)
    assert [(c.start, c.text) for c in candidates] == [
        (text.index("Jose"), "Jose\u0301"),
        (text.index("Imogen"), "Imogen Hartley"),
        (text.index("12 March"), "12 March 2024"),
        (text.index("imogen@"), "imogen@x.org"),
        (text.index("Zoë"), "Zoë"),
        (text.index("Ffion"), "Ffion"),
    ]


def test_offsets_survive_characters_that_change_length_when_lowercased():
    text = "İstanbul, then Imogen."  # "İ".lower() is two code points
    candidate = one(text, IMOGEN, capitalised=False)
    assert (candidate.start, candidate.text) == (text.index("Imogen"), "Imogen")


# ---- Overlaps -------------------------------------------------------------------------------


def test_a_longer_capitalised_run_wins_over_an_entry_inside_it_and_says_so():
    entries = [Entry("Otley", "place", "[town]", "deny-list")]
    candidate = one("I trained at the Otley Ffion Institute.", *entries)
    assert candidate.text == "Otley Ffion Institute"
    assert candidate.category == "capitalised"
    assert candidate.reason == f"{CAPITALISED_REASON}; contains deny-list: place"


def test_at_equal_length_an_entry_beats_a_capitalised_word():
    candidate = one("We asked Hartley.", IMOGEN)
    assert (candidate.category, candidate.reason) == ("person", "participant's surname (vault)")


def test_a_longer_entry_beats_a_shorter_one_inside_it():
    entries = [
        Entry("Leeds", "place", "[city]", "deny-list"),
        Entry("Leeds General Infirmary", "place", "[hospital]", "deny-list"),
    ]
    assert [
        (c.text, c.replacement) for c in Detector(entries).detect("at Leeds General Infirmary")
    ] == [("Leeds General Infirmary", "[hospital]")]


def test_an_email_containing_a_name_is_one_email():
    assert found("Write to imogen.hartley@nhs.net today.", IMOGEN) == [
        ("imogen.hartley@nhs.net", "email")
    ]


def test_a_date_containing_a_year_is_one_date():
    assert only("It was 12 March 2024.") == [("12 March 2024", "date")]


def test_a_plural_name_is_not_lost_to_a_capitalised_guess():
    candidate = one("We saw the Hartleys.", IMOGEN)
    assert (candidate.text, candidate.category) == ("Hartley", "person")


# ---- Named-entity recogniser and switches ------------------------------------------------------


def fake_ner(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for word, label in [("Harrow", "GPE"), ("Acme", "ORG"), ("Sam", "PERSON"), ("Tuesday", "DATE")]:
        if word in text:
            spans.append((text.index(word), text.index(word) + len(word), label))
    return [*spans, (-1, 3, "PERSON"), (5, 2, "ORG")]  # nonsense spans are ignored


def test_a_named_entity_recogniser_adds_candidates_with_mapped_categories():
    text = "so sam and then Sam went to Harrow with acme and Acme on Tuesday"
    candidates = Detector(ner=fake_ner, capitalised=False, patterns=False).detect(text)
    assert [(c.text, c.category, c.replacement, c.reason) for c in candidates] == [
        ("Sam", "person", "[person]", NER_REASON),
        ("Harrow", "place", "[place]", NER_REASON),
        ("Acme", "organisation", "[organisation]", NER_REASON),
    ]


def test_the_recogniser_is_off_by_default_and_loses_ties():
    text = "Then we met Sam Quarrie in Otley."
    assert {c.reason for c in Detector().detect(text)} == {CAPITALISED_REASON}
    with_ner = Detector(ner=lambda t: [(t.index("Otley"), t.index("Otley") + 5, "GPE")])
    assert {c.reason for c in with_ner.detect(text)} == {CAPITALISED_REASON}
    assert Detector(ner=fake_ner, allow=["harrow"], capitalised=False).detect("in Harrow") == []


def test_each_source_can_be_switched_off():
    text = "Imogen wrote from Ffion, ring 07700 900123."
    assert {c.category for c in Detector([IMOGEN]).detect(text)} == {
        "person",
        "capitalised",
        "phone",
    }
    assert {c.category for c in Detector([IMOGEN], names=False).detect(text)} == {
        "capitalised",
        "phone",
    }
    assert {c.category for c in Detector([IMOGEN], patterns=False).detect(text)} == {
        "person",
        "capitalised",
    }
    assert {c.category for c in Detector([IMOGEN], capitalised=False).detect(text)} == {
        "person",
        "phone",
    }
    assert Detector().detect("") == []


def test_entity_keys_group_occurrences_of_one_entity():
    assert entity_key("Imogen  Hartley’s") == entity_key("imogen\nhartley") == "imogen hartley"
    assert entity_key("+44 7700 900123", "phone") == entity_key("07700-900-123", "phone")
    candidates = Detector([IMOGEN]).detect("Imogen's notes, and IMOGEN's")
    assert {c.entity for c in candidates} == {"imogen"}


def test_the_detector_imports_no_django():
    code = "import sys, transcripts.anonymise.detect; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0  # noqa: S603
