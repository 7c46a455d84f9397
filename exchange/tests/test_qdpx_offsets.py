"""Where an imported selection lands: the per-source choice between code points, UTF-16 units and
CRLF-as-one (with or without the byte-order mark counted), and the speaker labels taken out of
the text. Pure: no database."""

import pytest

from exchange.qdpx.offsets import (
    Quoted,
    clean_text,
    decide,
    quote_matches,
    split_turns,
)
from transcripts.importers.base import compile_speaker_pattern

PATTERN = compile_speaker_pattern(None)


def utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def landed(decision) -> list[str]:
    return [decision.text[start:end] for start, end in decision.spans]


class TestTheReading:
    def test_plain_text_is_read_as_the_standard_says(self):
        text = "We had porridge and coffee."
        at = text.index("coffee")
        decision = decide(text, [Quoted(at, at + 6)])
        assert decision.reading.key == "code_points"
        assert landed(decision) == ["coffee"]
        assert "alike" in decision.evidence

    def test_utf16_units_after_an_emoji_are_told_by_word_boundaries(self):
        text = "Breakfast 😀 was porridge 😀😀 and strong coffee, then the bus."
        words = ["porridge", "strong coffee", "bus"]
        selections = [
            Quoted(utf16(text, text.index(w)), utf16(text, text.index(w) + len(w))) for w in words
        ]
        decision = decide(text, selections)
        assert decision.reading.key == "utf16"
        assert landed(decision) == words
        assert "UTF-16" in decision.reading.label
        assert "code points" in decision.evidence  # compared with the standard's reading

    def test_nvivo_bom_and_crlf_with_the_cr_counted(self):
        lf = "Interviewer: Hello 🙂\nP1: Tea, then toast 🙂 and jam.\nInterviewer: And then?"
        raw = lf.replace("\n", "\r\n")
        text, bom, _controls = clean_text("\ufeff" + raw)
        assert bom and text == raw
        words = ["toast", "jam", "then?"]
        selections = []
        for word in words:
            at = raw.index(word)
            selections.append(Quoted(utf16(raw, at), utf16(raw, at + len(word))))
        decision = decide(text, selections, bom=True)
        assert decision.reading.key == "utf16"
        assert "\r" not in decision.text and decision.text == lf
        assert landed(decision) == words

    def test_atlas_crlf_counted_once_is_told_by_the_quoted_words(self):
        lf = "Mabel: I have cola.\nFor breakfast, yes.\nEvery day, really."
        raw = lf.replace("\n", "\r\n")
        quotes = ["For breakfast, yes.", "Every day", "really."]
        selections = [Quoted(lf.index(q), lf.index(q) + len(q), quote=q) for q in quotes]
        decision = decide(raw, selections)
        assert decision.reading.key == "crlf_one"
        assert landed(decision) == quotes
        assert "3 of 3 quoted selections match their words" in decision.evidence

    def test_a_name_cut_short_with_an_ellipsis_still_quotes(self):
        assert quote_matches("For some reason babies aren't supposed", "For some reason…")
        assert quote_matches("one  two\nthree", "one two three")
        assert not quote_matches("porridge", "selection 1")
        assert not quote_matches("porridge", "…")

    def test_a_byte_order_mark_counted_as_a_character(self):
        text = "Tea and toast. Then the long walk to school."
        words = ["toast", "long walk", "school"]
        selections = [Quoted(text.index(w) + 1, text.index(w) + len(w) + 1, quote=w) for w in words]
        decision = decide(text, selections, bom=True)
        assert decision.reading.key == "code_points_bom"
        assert landed(decision) == words

    def test_even_evidence_keeps_the_standard(self):
        # After an emoji, one space-delimited word reads on boundaries either way.
        text = "😀 a b c"
        decision = decide(text, [Quoted(2, 3)])
        assert decision.reading.key == "code_points"

    def test_an_offset_inside_an_emoji_counts_against_a_reading(self):
        # [3, 5) in code points is "ab"; read as UTF-16 units, 3 falls inside the second emoji.
        decision = decide("😀😀 ab", [Quoted(3, 5)])
        assert decision.reading.key == "code_points"
        assert landed(decision) == ["ab"]

    def test_a_selection_starting_at_the_end_counts_against_a_reading(self):
        # "z" is [5, 6) in UTF-16 units; read as code points it would begin at the text's end.
        decision = decide("x😀y z", [Quoted(5, 6)])
        assert decision.reading.key == "utf16"
        assert landed(decision) == ["z"]


class TestOutOfRange:
    def test_an_end_just_past_the_text_is_cut_with_a_warning(self):
        text = "The last words."
        decision = decide(text, [Quoted(4, len(text) + 1, label="abc")])
        assert landed(decision) == ["last words."]
        assert any("past the end" in w for w in decision.warnings)
        assert not decision.errors

    @pytest.mark.parametrize(("start", "end"), [(400, 410), (-3, 2), (5, 2), (2, 40)], ids=str)
    def test_a_selection_outside_the_text_is_an_error(self, start, end):
        decision = decide("Short text here.", [Quoted(start, end, label="sel1")])
        assert decision.errors and "sel1" in decision.errors[0]
        assert "outside its text of 16 characters" in decision.errors[0]
        assert decision.spans == [None]

    def test_an_empty_selection_is_left_out_with_a_warning(self):
        decision = decide("Some words.", [Quoted(3, 3, label="e")])
        assert decision.spans == [None]
        assert any("empty" in w for w in decision.warnings)

    def test_control_characters_become_spaces_without_moving_offsets(self):
        text, bom, replaced = clean_text("a\x0bb\x00c")
        assert (text, bom, replaced) == ("a b c", False, 2)


class TestSpeakerTurns:
    def test_labels_become_speakers_and_leave_the_text(self):
        text = "Interviewer: How was it?\nP3: Calm, mostly.\nInterviewer: And later?\nP3: Busy."
        layout = split_turns(text, PATTERN)
        assert layout.labelled
        assert layout.text == "How was it?\nCalm, mostly.\nAnd later?\nBusy."
        assert [(t.speaker, layout.text[t.start : t.end]) for t in layout.turns] == [
            ("Interviewer", "How was it?"),
            ("P3", "Calm, mostly."),
            ("Interviewer", "And later?"),
            ("P3", "Busy."),
        ]
        at = text.index("mostly")
        start, end = layout.move(at, at + 6)
        assert layout.text[start:end] == "mostly"

    def test_a_selection_over_a_label_keeps_its_words(self):
        text = "Interviewer: Why?\nP3: Because.\nInterviewer: Sure?\nP3: Yes."
        at = text.index("P3: Because")
        start, end = split_turns(text, PATTERN).move(at, at + len("P3: Because"))
        assert split_turns(text, PATTERN).text[start:end] == "Because"

    def test_a_selection_of_a_label_alone_has_nowhere_to_go(self):
        text = "Interviewer: Why?\nP3: Because.\nInterviewer: Sure?\nP3: Yes."
        at = text.index("P3:")
        assert split_turns(text, PATTERN).move(at, at + 3) is None

    def test_without_labels_each_paragraph_is_a_turn(self):
        text = "First thought.\n\nSecond thought,\nstill going.\n\n\nThird."
        layout = split_turns(text, PATTERN)
        assert not layout.labelled and layout.text == text
        assert [layout.text[t.start : t.end] for t in layout.turns] == [
            "First thought.",
            "Second thought,\nstill going.",
            "Third.",
        ]
        assert all(t.speaker == "" for t in layout.turns)

    def test_a_title_block_is_text_not_a_speaker(self):
        text = "Date: 12 May\nInterviewer: Hello.\nP1: Hi.\nInterviewer: Ready?\nP1: Yes."
        layout = split_turns(text, PATTERN)
        assert layout.text.startswith("Date: 12 May\nHello.")
        assert layout.turns[0].speaker == "Interviewer"
        assert layout.text[layout.turns[0].start : layout.turns[0].end] == "Date: 12 May\nHello."
        assert layout.warnings

    def test_one_label_alone_is_no_speaker(self):
        text = "Note: the recording starts late.\nWe talked about breakfast."
        layout = split_turns(text, PATTERN)
        assert not layout.labelled and layout.text == text

    def test_time_stamps_in_labels_are_kept(self):
        text = "[00:01:05] Interviewer: Hi.\n[00:01:09] P2: Hello.\n[00:02:00] Interviewer: Bye.\n[00:02:03] P2: Bye."
        layout = split_turns(text, PATTERN)
        assert [t.started_at for t in layout.turns] == [65.0, 69.0, 120.0, 123.0]

    def test_a_blank_text_has_no_turns(self):
        assert split_turns("  \n\n ", PATTERN).turns == []
