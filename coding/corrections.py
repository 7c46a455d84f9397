"""Codings and journal passages follow a correction of their transcript (registered with
`transcripts.versions`). A coding moves to the new version through the correction's offset map,
keeping its uuid, memos and coder; one whose words the correction changed is marked for its coder
to look at again, and one whose words it removed altogether stays on the version it was made on,
marked too, so that nothing is lost or silently moved."""

from coding.models import Coding, JournalEntry, Memo
from transcripts.anonymise.spans import OffsetMap
from transcripts.models import TranscriptVersion


def carry_codings(old: TranscriptVersion, new: TranscriptVersion, offsets: OffsetMap) -> int:
    """Move the old version's codings to the new one; how many need a look (changed or left)."""
    codings = list(Coding.objects.filter(version=old).order_by("pk"))
    mapped = offsets.map_ranges([(coding.start, coding.end) for coding in codings])
    carried: dict[tuple, Coding] = {}
    left, twins = [], {}
    for coding, span in zip(codings, mapped, strict=True):
        if span is None:
            coding.needs_check = True
            left.append(coding)
            continue
        key = (coding.code_id, coding.coder_id, span.start, span.end)
        if key in carried:  # two codings of one code by one coder now cover the same words
            twins[coding.pk] = carried[key].pk
            continue
        coding.version, coding.start, coding.end = new, span.start, span.end
        coding.needs_check = coding.needs_check or span.touched
        carried[key] = coding
    for twin, kept in twins.items():
        Memo.objects.filter(coding_id=twin).update(coding_id=kept)
    Coding.objects.filter(pk__in=twins).delete()
    Coding.objects.bulk_update(carried.values(), ["version", "start", "end", "needs_check"])
    Coding.objects.bulk_update(left, ["needs_check"])
    _carry_journal(old, offsets)
    changed = sum(1 for coding in carried.values() if coding.needs_check)
    return changed + len(left)


def _carry_journal(old: TranscriptVersion, offsets: OffsetMap) -> None:
    """Journal entries point to a passage of the transcript's current text: it moves with the
    text, and an entry whose passage was removed keeps the transcript without the range."""
    entries = list(
        JournalEntry.objects.filter(transcript_id=old.transcript_id, start__isnull=False)
    )
    for entry in entries:
        span = offsets.map_range(entry.start, min(entry.end, offsets.old_length))
        entry.start, entry.end = (span.start, span.end) if span else (None, None)
    JournalEntry.objects.bulk_update(entries, ["start", "end"])
