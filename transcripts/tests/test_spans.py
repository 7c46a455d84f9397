"""Editing a transcript's text and carrying ranges (turns, codings, markers) over to the new text."""

import itertools
import random
import re

import pytest

from transcripts.anonymise.spans import Edit, Mapped, OffsetMap, apply_edits

TEXT = "one two three four five"
#       0   4   8     14   19  23
RANGE = (8, 18)  # "three four"


def carry(old: str, edits: list[Edit], start: int, end: int) -> tuple[str, Mapped | None]:
    """The new text and where [start, end) of the old text went."""
    return apply_edits(old, edits), OffsetMap.from_edits(old, edits).map_range(start, end)


def text_of(new: str, mapped: Mapped | None) -> str | None:
    return None if mapped is None else new[mapped.start : mapped.end]


# apply_edits -------------------------------------------------------------------------------------


def test_apply_edits_in_any_order():
    edits = [Edit(19, 23, "FIVE"), Edit(0, 3, "1"), Edit(8, 8, "and ")]
    assert apply_edits(TEXT, edits) == "1 two and three four FIVE"
    assert apply_edits(TEXT, list(reversed(edits))) == "1 two and three four FIVE"


def test_apply_no_edits_is_the_same_text():
    assert apply_edits(TEXT, []) == TEXT


def test_insertions_at_the_edges_of_a_replaced_region_go_before_and_after_it():
    edits = [Edit(4, 7, "2"), Edit(4, 4, "<"), Edit(7, 7, ">")]
    assert apply_edits(TEXT, edits) == "one <2> three four five"


def test_adjacent_edits_do_not_overlap():
    assert apply_edits(TEXT, [Edit(0, 4, "1 "), Edit(4, 8, "2 ")]) == "1 2 three four five"


@pytest.mark.parametrize(
    "edits",
    [
        [Edit(4, 9, "x"), Edit(8, 13, "y")],  # crossing
        [Edit(2, 20, "x"), Edit(8, 13, "y")],  # one inside the other
        [Edit(8, 13, "x"), Edit(8, 13, "y")],  # the same region twice
        [Edit(4, 13, "x"), Edit(8, 8, "y")],  # an insertion inside a replaced region
        [Edit(8, 8, "x"), Edit(8, 8, "y")],  # two insertions, order unknown
    ],
)
def test_overlapping_edits_are_refused_naming_both(edits):
    with pytest.raises(ValueError, match=r"overlap: edit #\d \[\d+, \d+\) and edit #\d") as caught:
        apply_edits(TEXT, [Edit(0, 1, "O"), *edits])
    message = str(caught.value)
    assert "#1" in message and "#2" in message
    with pytest.raises(ValueError, match="overlap"):
        OffsetMap.from_edits(TEXT, edits)


def test_the_refusal_names_edits_by_position_never_by_their_text():
    with pytest.raises(ValueError) as caught:
        apply_edits("with Samantha Jones", [Edit(5, 13, "[colleague]"), Edit(5, 19, "[x]")])
    assert "colleague" not in str(caught.value)
    assert "Samantha" not in str(caught.value)


@pytest.mark.parametrize("edit", [Edit(-1, 2, "x"), Edit(5, 4, "x"), Edit(20, 24, "x")])
def test_edits_outside_the_text_are_refused(edit):
    with pytest.raises(ValueError, match="not within the text"):
        apply_edits(TEXT, [edit])
    with pytest.raises(ValueError, match="not within the text"):
        OffsetMap.from_edits(TEXT, [edit])


# map_range: where an edit lies relative to the range -----------------------------------------------


def test_edit_before_the_range_shifts_it():
    new, mapped = carry(TEXT, [Edit(0, 3, "number one")], *RANGE)
    assert mapped == Mapped(15, 25, touched=False)
    assert text_of(new, mapped) == "three four"


def test_edit_after_the_range_leaves_it():
    new, mapped = carry(TEXT, [Edit(19, 23, "5")], *RANGE)
    assert mapped == Mapped(8, 18, touched=False)
    assert text_of(new, mapped) == "three four"


def test_edit_inside_the_range_moves_its_end_and_touches_it():
    new, mapped = carry(TEXT, [Edit(10, 11, "")], *RANGE)  # "three" -> "thee"
    assert mapped == Mapped(8, 17, touched=True)
    assert text_of(new, mapped) == "thee four"


def test_edit_across_the_start_extends_the_range_over_the_replacement():
    new, mapped = carry(TEXT, [Edit(4, 11, "2-3")], *RANGE)  # "two thr" -> "2-3"
    assert new == "one 2-3ee four five"
    assert mapped is not None and mapped.touched
    assert text_of(new, mapped) == "2-3ee four"


def test_edit_across_the_end_extends_the_range_over_the_replacement():
    new, mapped = carry(TEXT, [Edit(16, 21, "UR-FI")], *RANGE)  # "ur fi" -> "UR-FI"
    assert new == "one two three foUR-FIve"
    assert mapped is not None and mapped.touched
    assert text_of(new, mapped) == "three foUR-FI"


def test_deletion_across_an_edge_clips_the_range():
    new, mapped = carry(TEXT, [Edit(4, 14, "")], *RANGE)  # "two three " deleted
    assert new == "one four five"
    assert mapped == Mapped(4, 8, touched=True)
    assert text_of(new, mapped) == "four"


def test_edits_exactly_at_both_boundaries_do_not_touch_the_range():
    # one ends where the range starts, the other starts where it ends
    new, mapped = carry(TEXT, [Edit(4, 8, "2, "), Edit(18, 19, "; ")], *RANGE)
    assert new == "one 2, three four; five"
    assert mapped == Mapped(7, 17, touched=False)
    assert text_of(new, mapped) == "three four"


def test_edit_of_exactly_the_range_maps_to_the_replacement():
    new, mapped = carry(TEXT, [Edit(8, 18, "3 and 4")], *RANGE)
    assert mapped == Mapped(8, 15, touched=True)
    assert text_of(new, mapped) == "3 and 4"


def test_edit_covering_the_whole_range_maps_to_the_whole_replacement():
    new, mapped = carry(TEXT, [Edit(4, 23, "and so on")], *RANGE)
    assert mapped == Mapped(4, 13, touched=True)
    assert text_of(new, mapped) == "and so on"


def test_range_inside_one_replaced_region_maps_to_the_whole_replacement():
    new, mapped = carry(TEXT, [Edit(8, 18, "3-4")], 10, 12)  # "re" of "three"
    assert mapped == Mapped(8, 11, touched=True)
    assert text_of(new, mapped) == "3-4"


def test_insertion_at_a_boundary_stays_outside_the_range():
    new, mapped = carry(TEXT, [Edit(8, 8, "[a] "), Edit(18, 18, " [b]")], *RANGE)
    assert new == "one two [a] three four [b] five"
    assert mapped == Mapped(12, 22, touched=False)
    assert text_of(new, mapped) == "three four"


def test_insertion_just_inside_a_boundary_touches_the_range():
    new, mapped = carry(TEXT, [Edit(9, 9, "!"), Edit(17, 17, "?")], *RANGE)
    assert mapped is not None and mapped.touched
    assert text_of(new, mapped) == "t!hree fou?r"


def test_range_wholly_deleted_maps_to_none():
    assert carry(TEXT, [Edit(8, 18, "")], *RANGE)[1] is None
    assert carry(TEXT, [Edit(3, 19, "")], *RANGE)[1] is None  # a larger deletion
    assert carry(TEXT, [Edit(6, 12, ""), Edit(12, 20, "")], *RANGE)[1] is None  # two adjacent


def test_range_deleted_but_for_an_insertion_inside_maps_to_the_insertion():
    new, mapped = carry(TEXT, [Edit(8, 13, ""), Edit(13, 13, "3+4"), Edit(13, 18, "")], *RANGE)
    assert mapped is not None and mapped.touched
    assert text_of(new, mapped) == "3+4"


def test_replacement_longer_and_shorter_than_the_original():
    text = "Then Dr Smith said it was fine. Then Dr Smith left."
    first = (0, 31)  # "Then Dr Smith said it was fine."
    second = (32, 51)  # "Then Dr Smith left."
    for replacement in ("[senior clinician]", "[Dr]", ""):
        edits = [Edit(5, 13, replacement), Edit(37, 45, replacement)]
        new = apply_edits(text, edits)
        one, two = OffsetMap.from_edits(text, edits).map_ranges([first, second])
        assert text_of(new, one) == f"Then {replacement} said it was fine."
        assert text_of(new, two) == f"Then {replacement} left."
        assert one is not None and two is not None and one.touched and two.touched


def test_edits_that_change_nothing_are_dropped():
    offsets = OffsetMap.from_edits(TEXT, [Edit(8, 13, "three"), Edit(4, 4, ""), Edit(0, 3, "1")])
    assert offsets.edits == [Edit(0, 3, "1")]
    assert offsets.map_range(*RANGE) == Mapped(6, 16, touched=False)


def test_many_edits_many_ranges():
    text = "".join(f"w{i:02d} " for i in range(40))  # "w00 w01 ... w39 ", 4 characters a word
    edits = [Edit(4 * i, 4 * i + 3, f"W{i}") for i in range(0, 40, 3)]  # every third word
    new = apply_edits(text, edits)
    ranges = [(4 * i, 4 * i + 3) for i in range(40)] + [(4 * i, 4 * i + 11) for i in range(38)]
    offsets = OffsetMap.from_edits(text, edits)
    mapped = offsets.map_ranges(ranges)
    assert mapped == [offsets.map_range(start, end) for start, end in ranges]
    for i in range(40):
        word = mapped[i]
        assert word is not None
        assert text_of(new, word) == (f"W{i}" if i % 3 == 0 else f"w{i:02d}")
        assert word.touched == (i % 3 == 0)
    for i in range(38):
        three_words = mapped[40 + i]
        assert three_words is not None and three_words.touched  # one in three is replaced
        expected = " ".join(f"W{j}" if j % 3 == 0 else f"w{j:02d}" for j in range(i, i + 3))
        assert text_of(new, three_words) == expected


def test_ranges_must_lie_within_the_old_text_with_start_before_end():
    offsets = OffsetMap.from_edits(TEXT, [])
    for start, end in [(-1, 3), (3, 3), (5, 4), (20, 24)]:
        with pytest.raises(ValueError, match="not within the text"):
            offsets.map_range(start, end)


# Unicode: offsets count code points ---------------------------------------------------------------


def test_unicode_before_and_inside_ranges():
    nurse = "👩\u200d⚕\ufe0f"  # woman health worker: four code points
    text = f"{nurse} Zoë said: José re\u0301ussit à Málaga. Fin"
    zoe = text.index("Zoë")
    sentence = (text.index("José"), text.index(". Fin"))
    edits = [
        Edit(0, len(nurse), "🧑\u200d⚕\ufe0f🙂"),  # before both ranges, one code point longer
        Edit(text.index("José"), text.index("José") + 4, "[P2]"),  # inside the sentence
        Edit(text.index("e\u0301"), text.index("e\u0301") + 2, "é"),  # combining -> precomposed
    ]
    new = apply_edits(text, edits)
    name, said = OffsetMap.from_edits(text, edits).map_ranges([(zoe, zoe + 3), sentence])
    assert name == Mapped(zoe + 1, zoe + 4, touched=False)
    assert text_of(new, name) == "Zoë"
    assert said is not None and said.touched
    assert text_of(new, said) == "[P2] réussit à Málaga"


def test_a_range_of_emoji_and_combining_characters_only():
    text = "a 😀😀 e\u0301\u0301 b"
    edits = [Edit(0, 1, "ąą"), Edit(3, 4, "😃")]  # before, and inside the emoji range
    new = apply_edits(text, edits)
    emoji, accents = OffsetMap.from_edits(text, edits).map_ranges([(2, 4), (5, 8)])
    assert text_of(new, emoji) == "😀😃" and emoji is not None and emoji.touched
    assert text_of(new, accents) == "e\u0301\u0301" and accents == Mapped(6, 9, touched=False)


# Anonymisation: speaker turns re-anchored over the new text ----------------------------------------

TURNS = [
    "Interviewer: How did the ward manage when Priya was away?",
    "P04: Priya covered most nights, so when she left Tom and I split them. Tom hated it.",
    "Interviewer: Did anyone else help?",
    "P04: Dr Okafor sometimes. Priya",
    "Tom said it was Dr Okafor who kept us going.",
]
PSEUDONYMS = {"Priya": "[colleague 1]", "Tom": "[colleague 2]", "Dr Okafor": "[senior doctor]"}


def turn_ranges(turns: list[str]) -> list[tuple[int, int]]:
    ranges, position = [], 0
    for turn in turns:
        ranges.append((position, position + len(turn)))
        position += len(turn) + 2  # "\n\n"
    return ranges


def test_turns_cover_their_new_text_after_replacements_in_several_turns():
    text = "\n\n".join(TURNS)
    pattern = re.compile("|".join(re.escape(name) for name in PSEUDONYMS))
    edits = [Edit(m.start(), m.end(), PSEUDONYMS[m.group()]) for m in pattern.finditer(text)]
    assert len(edits) == 8  # names at the start and at the end of turns among them

    new = apply_edits(text, edits)
    mapped = OffsetMap.from_edits(text, edits).map_ranges(turn_ranges(TURNS))

    expected = [pattern.sub(lambda m: PSEUDONYMS[m.group()], turn) for turn in TURNS]
    assert [text_of(new, turn) for turn in mapped] == expected
    assert [turn is not None and turn.touched for turn in mapped] == [True, True, False, True, True]
    # still contiguous, separated by the same "\n\n", covering the whole new text
    assert mapped[0] is not None and mapped[0].start == 0
    assert mapped[-1] is not None and mapped[-1].end == len(new)
    for before, after in itertools.pairwise(mapped):
        assert before is not None and after is not None
        assert new[before.end : after.start] == "\n\n"


# A correction of a locked transcript: a diff of the two texts --------------------------------------


def test_from_texts_on_a_realistic_correction_matches_from_edits():
    old_turns = [
        "Interviewer: Can you tell me about the first week?",
        "P07: I recieved the rota on the Friday and it was, well, a lot.",
        "Interviewer: A lot how?",
        "P07: Twelve-hour shifts. Nobody checked on us. We just got on with it.",
        "Interviewer: Thank you.",
    ]
    old = "\n\n".join(old_turns)
    typo = old.index("recieved")
    added = old.index(" We just")
    edits = [
        Edit(typo, typo + len("recieved"), "received"),
        Edit(added, added, " Not once, in three months."),
    ]
    new = apply_edits(old, edits)
    codings = [
        (old.index("I recieved"), old.index(", well")),  # the typo inside
        (old.index("Twelve"), old.index(" Nobody")),  # untouched, before the added sentence
        (old.index("Nobody"), old.index("with it.") + 8),  # the sentence added inside
        (old.index("We just"), old.index("with it.") + 8),  # untouched, after it
        (old.index("A lot how"), old.index("how?") + 4),  # untouched, between the changes
    ]
    ranges = turn_ranges(old_turns) + codings

    by_diff = OffsetMap.from_texts(old, new)
    assert apply_edits(old, by_diff.edits) == new
    expected = OffsetMap.from_edits(old, edits).map_ranges(ranges)
    assert by_diff.map_ranges(ranges) == expected
    assert [m is not None and m.touched for m in expected] == [
        *[False, True, False, True, False],  # turns
        *[True, False, True, False, False],  # codings
    ]
    assert text_of(new, expected[5]) == "I received the rota on the Friday and it was"
    assert (
        text_of(new, expected[7])
        == "Nobody checked on us. Not once, in three months. We just got on with it."
    )


def size(edits: list[Edit]) -> int:
    """Characters removed and inserted."""
    return sum(edit.end - edit.start + len(edit.replacement) for edit in edits)


@pytest.mark.parametrize("sentence_end", [". ", " "], ids=["sentences", "no-full-stops"])
def test_from_texts_on_a_long_transcript_finds_small_edits(sentence_end):
    rng = random.Random(11)  # noqa: S311 — test data, not secrets
    words = ["the", "ward", "night", "shift", "rota", "nurse", "we", "they", "said", "often"]

    def sentence() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(4, 20)))

    turns = [f"{'Interviewer' if i % 2 else 'P09'}: " + sentence() + "." for i in range(600)]
    # a monologue too long for a character diff, to be split by sentences or words
    turns[300] = "P09: " + sentence_end.join(sentence() for _ in range(120)) + "."
    old = "\n\n".join(turns)
    assert len(old) > 50_000 and len(turns[300]) > 5_000
    monologue = old.index(turns[300])
    edits = [
        Edit(0, 0, "Interviewer: Recording started.\n\n"),  # a turn added
        Edit(monologue + 10, monologue + 11, "X"),  # two changes far apart in the monologue
        Edit(monologue + len(turns[300]) - 3, monologue + len(turns[300]) - 3, " Y"),
        Edit(len(old) // 3, len(old) // 3 + 1, "Z"),
        Edit(len(old) - len(turns[-1]) - 2, len(old), ""),  # the last turn removed
    ]
    new = apply_edits(old, edits)
    by_diff = OffsetMap.from_texts(old, new)
    assert apply_edits(old, by_diff.edits) == new
    assert size(by_diff.edits) <= size(edits)  # no larger than the edits made
    untouched = [m for m in by_diff.map_ranges(turn_ranges(turns)) if m and not m.touched]
    assert len(untouched) == len(turns) - 3  # the monologue, the one with "Z", the last


def test_from_texts_places_a_removed_or_added_turn_between_turns():
    # The removed turn ends as the one before it does, so "e.\n\nP04: ...more" less "e." is a
    # diff too; it would touch the turn before and leave "e." of the removed one.
    old_turns = ["Interviewer: And then?", "P04: We left at nine.", "P04: And came home.", "Bye."]
    new_turns = [
        "Interviewer: And then?",
        "Interviewer: Sorry, go on.",
        "P04: We left at nine.",
        "Bye.",
    ]
    old, new = "\n\n".join(old_turns), "\n\n".join(new_turns)
    edits = [
        Edit(len(old_turns[0]) + 2, len(old_turns[0]) + 2, "Interviewer: Sorry, go on.\n\n"),
        Edit(old.index("\n\nP04: And"), old.index("\n\nBye"), ""),
    ]
    assert apply_edits(old, edits) == new
    by_diff = OffsetMap.from_texts(old, new)
    expected = OffsetMap.from_edits(old, edits).map_ranges(turn_ranges(old_turns))
    assert by_diff.map_ranges(turn_ranges(old_turns)) == expected
    assert expected == [
        Mapped(0, 22, touched=False),
        Mapped(52, 73, touched=False),
        None,
        Mapped(75, 79, touched=False),
    ]


def test_from_texts_of_the_same_text_has_no_edits():
    assert OffsetMap.from_texts(TEXT, TEXT).edits == []
    assert OffsetMap.from_texts("", "").edits == []
    assert OffsetMap.from_texts("", "new").edits == [Edit(0, 0, "new")]


# Properties, on random texts, edits and ranges ------------------------------------------------------

ALPHABET = "ab \n.é😀\u0301"


def random_case(rng: random.Random) -> tuple[str, list[Edit], list[tuple[int, int]]]:
    text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 60)))
    edits, position = [], 0
    while True:
        position += rng.randint(0, 8)
        if position > len(text):
            break
        end = min(len(text), position + rng.choice([0, 0, 1, 2, 5]))
        replacement = "".join(rng.choice(ALPHABET) for _ in range(rng.choice([0, 0, 1, 3, 7])))
        edits.append(Edit(position, end, replacement))
        position = end + (1 if end == position else 0)  # never two insertions at one place
    rng.shuffle(edits)
    ranges = []
    for _ in range(20):
        start = rng.randrange(len(text))
        ranges.append((start, rng.randint(start + 1, len(text))))
    return text, edits, ranges


def check_properties(old: str, new: str, offsets: OffsetMap, ranges: list[tuple[int, int]]):
    assert offsets.new_length == len(new)
    mapped = offsets.map_ranges(ranges)
    assert mapped == [offsets.map_range(start, end) for start, end in ranges]
    for (start, end), result in zip(ranges, mapped, strict=True):
        overlapping = [e for e in offsets.edits if e.start < end and e.end > start]
        if result is None:
            # nothing of the range is left: deletions cover it, nothing was inserted inside
            assert overlapping and all(e.replacement == "" for e in overlapping)
            assert sum(min(e.end, end) - max(e.start, start) for e in overlapping) == end - start
            continue
        assert 0 <= result.start < result.end <= len(new)
        assert result.touched == bool(overlapping)
        if not result.touched:
            assert new[result.start : result.end] == old[start:end]


def test_properties_of_random_edits_and_ranges():
    rng = random.Random(20240612)  # noqa: S311 — test data, not secrets
    for _ in range(400):
        old, edits, ranges = random_case(rng)
        new = apply_edits(old, edits)
        check_properties(old, new, OffsetMap.from_edits(old, edits), ranges)
        by_diff = OffsetMap.from_texts(old, new)
        assert apply_edits(old, by_diff.edits) == new
        check_properties(old, new, by_diff, ranges)
