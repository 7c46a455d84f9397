"""Identifier patterns: e-mail addresses, phone numbers, postcodes, web addresses, dates, ages,
years and time in practice. Each finder yields (start, end, reason) in Python str indices; PATTERNS
lists them with their category and replacement. Pure Python: no Django, no network."""

import re
import unicodedata
from collections.abc import Callable, Iterable

from transcripts.anonymise import words

# Each finder scans for a cheap literal anchor ("@", a month's name, "year", a digit) that
# Python's re finds at C speed, then reads the context on either side of it with small regexes.
# A lookbehind or \b at the start of a pattern would make re try it at every character.

_NUMBER_WORDS = {w: n for n, w in enumerate(words.UNITS)} | {
    w: 20 + 10 * n for n, w in enumerate(words.TENS)
}
_SPELT = (
    rf"(?:(?:{'|'.join(words.TENS)})(?:[- ](?:{'|'.join(words.UNITS[9:0:-1])}))?"
    rf"|{'|'.join(sorted(words.UNITS[1:], key=len, reverse=True))})"
)
_NUMBER = rf"(?:\d{{1,3}}|{_SPELT})"
_MONTHS = (
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sept Sep Oct Nov Dec"
)
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
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
_URL_END = r"[^\s<>\"“”‘’]*[^\s<>\"“”‘’.,;:!?)\]']"

_AT = re.compile("@")
_EMAIL_LOCAL = re.compile(r"[\w.%+-]+\Z")
_EMAIL_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_URL_SCHEME = re.compile(rf"(?:://|www\.){_URL_END}", re.IGNORECASE)
_SCHEME = re.compile(r"(?:https?|ftp)\Z", re.IGNORECASE)
_URL_TLD = re.compile(r"\.(?:com|org|net|uk|io|info|edu|gov|eu|ie)(?![\w@-])", re.IGNORECASE)
_URL_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\Z", re.IGNORECASE)
_URL_REST = re.compile(rf"(?:\.[a-z0-9-]+)*(?:/{_URL_END})?", re.IGNORECASE)
_PHONE = re.compile(
    r"(?:\+(?<![\w+/.-]\+)\d{1,3}(?:[ -]?\(0\))?(?:[ -]?\(?\d{1,5}\)?){2,6}"
    r"|\((?<![\w+/.-]\()0\d{1,4}\)(?:[ -]?\d{2,6}){1,3}"
    r"|0(?<![\w+/.-]0)\d{1,4}(?:[ -]?\d{2,6}){1,3})(?!\w|[.,:/-]\d)"
)
_POSTCODE = re.compile(r"[A-PR-UWYZ](?<![\w-].)[A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}(?![\w-])")
_MONTH = re.compile(rf"(?:{'|'.join(_MONTHS.split())})\.?(?![\w])")
_DAY_BEFORE_MONTH = re.compile(
    rf"(?<!\w)(?:{_WEEKDAY},?\s+(?:the\s+)?)?{_DAY}{_ORDINAL}?(?:\s+of)?\s+\Z"
)
_YEAR_AFTER_MONTH = re.compile(rf",?\s+{_YEAR4}(?!\w)")
_DAY_AFTER_MONTH = re.compile(
    rf"\s+(?:the\s+)?(?:{_DAY}{_ORDINAL}(?:,?\s+{_YEAR4})?|{_DAY},?\s+{_YEAR4})(?!\w)"
)
_WEEKDAY_BEFORE = re.compile(rf"(?<!\w){_WEEKDAY},?\s+\Z")
_NUMERIC_DATE = re.compile(
    r"\d(?<![\w/.:-]\d)(?:\d?([/.-])\d{1,2}\1(?:\d{4}|\d{2})|\d{3}-\d{1,2}-\d{1,2})"
    r"(?![\w/:-]|\.\d)"
)
_YEARS_OLD = re.compile(r"(?:years?|yrs?)[- ]old(?!\w)|years\s+of\s+age(?!\w)", re.IGNORECASE)
_NUMBER_BEFORE = re.compile(rf"(?<![\w-])(?P<v>{_NUMBER})[- ]\Z", re.IGNORECASE)
_AGE_NUMBER = re.compile(r"\d(?<![\w.,£$€/-]\d)\d{0,2}(?!\w|[.,:]\d)")
# Spelt ages ("I'm forty-three") are only looked for after the phrases that nearly always
# carry them, anchored on their capital "I" or on "age".
_SPELT_AGE = re.compile(
    r"(?:I(?<![\w]I)(?:['’]m|\s+am|\s+was|\s+turned|['’]ll\s+be|\s+will\s+be)"
    r"|age(?<![\w]age)(?:d|\s+of)?)\s+(?:just\s+|nearly\s+|almost\s+|about\s+|only\s+)?"
    rf"(?P<v>{_SPELT})(?![\w-])"
)
_AGE_CONTEXT = re.compile(
    r"(?<!\w)(?:I['’]m|I\s+am|I\s+was|I\s+turned|I['’]ll\s+be|I\s+will\s+be"
    r"|(?:s?he|they)['’](?:s|re)|(?:s?he|they)\s+(?:is|are|was|were|turned)"
    r"|aged|at\s+the\s+age\s+of|age|turned|turning)\s+"
    r"(?:just\s+|nearly\s+|almost\s+|about\s+|only\s+)?\Z",
    re.IGNORECASE,
)
_NOT_AN_AGE = re.compile(rf"\s*{_UNITS}\b|\s*%|\s+years?\b(?![- ]old)", re.IGNORECASE)
_DECADE = re.compile(
    r"(?:teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)(?!\w)"
)
_IN_MY = re.compile(
    r"(?<!\w)in\s+(?:my|his|her|their|your|our)\s+(?P<q>(?:early|mid|late)[- ]?)?\Z",
    re.IGNORECASE,
)
_YEARS = re.compile(r"years?(?!\w)")
_DURATION_NUMBER = re.compile(
    rf"(?<![\w-])(?:\d{{1,2}}|{_SPELT})(?:\s+and\s+a\s+half)?\s+\Z", re.IGNORECASE
)
_IN_PRACTICE_AFTER = re.compile(
    r"['’]?\s+(?:qualified|post[- ]?qualifi\w+|in\s+practice|of\s+practice|practi[sc]ing"
    r"|(?:of\s+)?experience|in\s+the\s+(?:job|role|profession|field|service)|as\s+an?\s)",
    re.IGNORECASE,
)
_IN_PRACTICE_BEFORE = re.compile(
    r"(?<!\w)(?:(?:qualified|practi[sc]ing|practi[sc]ed|working|worked"
    r"|been\s+(?:\w+\s+)?(?:an?\s+)?(?:\w+\s+)?(?:therapist|counsel+or|psychotherapist"
    r"|psychologist|practitioner|nurse|doctor|social\s+worker))\s+for"
    r"|(?P<ago>qualified))\s+(?:about\s+|around\s+|nearly\s+|almost\s+|over\s+|just\s+over\s+"
    r"|just\s+under\s+|roughly\s+)?\Z",
    re.IGNORECASE,
)
_AGO = re.compile(r"\s+ago(?!\w)", re.IGNORECASE)
_YEAR = re.compile(
    rf"(?:19|20)(?<![\w£$€#.,:/'’-]..)\d{{2}}(?:s|[-–/](?:{_YEAR4}|\d{{2}})(?!\d))?"
    rf"(?![\w%]|[.,:/-]\d|\s+{_UNITS}\b)"
)
_SHORT_YEAR = re.compile(r"['’](?<![\w'’].)\d{2}s?(?!\w)")
_QUALIFIED_IN = re.compile(r"qualif\w*\s+(?:in\s+)?\Z", re.IGNORECASE)

Found = Iterable[tuple[int, int, str]]  # (start, end, reason)


def _ending_at(regex: re.Pattern, text: str, end: int, width: int) -> re.Match | None:
    """The match of `regex` (which ends in \\Z) that ends exactly at `end`."""
    return regex.search(text, max(0, end - width), end)


def _number(spelt: str) -> int | None:
    if spelt.isdigit():
        return int(spelt)
    total = 0
    for part in re.split(r"[- ]", spelt.lower()):
        if part not in _NUMBER_WORDS:
            return None
        total += _NUMBER_WORDS[part]
    return total


def word_char(c: str) -> bool:
    """A letter, a digit or a combining mark: part of a word."""
    return c.isalnum() or unicodedata.category(c) in ("Mn", "Mc")


def find_emails(text: str) -> Found:
    for at in _AT.finditer(text):
        local = _ending_at(_EMAIL_LOCAL, text, at.start(), 64)
        domain = _EMAIL_DOMAIN.match(text, at.end())
        if local and domain:
            start = local.start() + len(local.group()) - len(local.group().lstrip("."))
            if start < at.start():
                yield start, domain.end(), "e-mail address"


def find_urls(text: str) -> Found:
    for m in _URL_SCHEME.finditer(text):
        start = m.start()
        if m.group().startswith("://"):
            if (scheme := _ending_at(_SCHEME, text, start, 5)) is None:
                continue
            start = scheme.start()
        before = text[start - 1] if start else " "
        if before not in "@/." and not word_char(before):
            yield start, m.end(), "web address"
    last = 0
    for tld in _URL_TLD.finditer(text):  # bare domains: "airevalleycounselling.co.uk"
        if tld.start() < last:
            continue
        host = _ending_at(_URL_HOST, text, tld.start(), 100)
        if host is None:
            continue
        start = host.start()
        if start > 0 and (text[start - 1] in "@./-" or word_char(text[start - 1])):
            continue
        last = _URL_REST.match(text, tld.end()).end()
        yield start, last, "web address"


def find_phones(text: str) -> Found:
    for m in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in m.group().replace("(0)", ""))
        if m.group().startswith("+"):
            if 8 <= digits <= 15:
                yield m.start(), m.end(), "phone number"
        elif 10 <= digits <= 11:
            yield m.start(), m.end(), "UK phone number"


def find_postcodes(text: str) -> Found:
    for m in _POSTCODE.finditer(text):
        yield m.start(), m.end(), "UK postcode"


def find_dates(text: str) -> Found:
    """ "12 March 2024", "12th of March", "Tuesday 4 June", "March 12, 2024", "March 2024",
    "12/03/2024", "2024-03-12"."""
    for month in _MONTH.finditer(text):
        start, end = month.span()
        if start and word_char(text[start - 1]):
            continue
        if day := _ending_at(_DAY_BEFORE_MONTH, text, start, 40):
            year = _YEAR_AFTER_MONTH.match(text, end)
            yield day.start(), year.end() if year else end, "date"
        elif day := _DAY_AFTER_MONTH.match(text, end):
            weekday = _ending_at(_WEEKDAY_BEFORE, text, start, 16)
            yield weekday.start() if weekday else start, day.end(), "date"
        elif (year := _YEAR_AFTER_MONTH.match(text, end)) and year.group()[0] != ",":
            yield start, year.end(), "date"  # "March 2024"
    for m in _NUMERIC_DATE.finditer(text):
        parts = [int(p) for p in re.split(r"[/.-]", m.group())]
        if m.group()[:4].isdigit():
            year, month_number, day_number = parts
            ok = 1900 <= year <= 2099 and 1 <= month_number <= 12 and 1 <= day_number <= 31
        else:
            first, second, year = parts
            ok = 1 <= first <= 31 and 1 <= second <= 31 and min(first, second) <= 12
            ok = ok and (m.group(1) != "." or year > 99)  # "1.2.24" is a version
        if ok:
            yield m.start(), m.end(), "date"


def find_ages(text: str) -> Found:
    """The age itself: "43" in "I'm 43", "aged 43", "43 years old", "a 43-year-old"; "forties"
    in "in my forties"."""
    for old in _YEARS_OLD.finditer(text):
        number = _ending_at(_NUMBER_BEFORE, text, old.start(), 24)
        if number and (n := _number(number.group("v"))) is not None and 1 <= n <= 119:
            yield *number.span("v"), "age"
    for m in _AGE_NUMBER.finditer(text):
        start, end = m.span()
        if not 10 <= int(m.group()) <= 110 or _NOT_AN_AGE.match(text, end):
            continue
        if _ending_at(_AGE_CONTEXT, text, start, 40):
            yield start, end, "age"
    for m in _SPELT_AGE.finditer(text):
        n = _number(m.group("v"))
        if n is not None and 10 <= n <= 110 and not _NOT_AN_AGE.match(text, m.end()):
            yield *m.span("v"), "age"
    for decade in _DECADE.finditer(text):
        if in_my := _ending_at(_IN_MY, text, decade.start(), 40):
            start = in_my.start("q") if in_my.group("q") else decade.start()
            yield start, decade.end(), "age"


def find_time_in_practice(text: str) -> Found:
    """ "twelve years" in "twelve years qualified", "qualified for twelve years", "been a
    counsellor for 9 years", "qualified ten years ago"."""
    for years in _YEARS.finditer(text):
        number = _ending_at(_DURATION_NUMBER, text, years.start(), 40)
        if number is None:
            continue
        start, end = number.start(), years.end()
        before = _ending_at(_IN_PRACTICE_BEFORE, text, start, 90)
        qualified_ago = before is not None and before.group("ago") is not None
        if (
            _IN_PRACTICE_AFTER.match(text, end)
            or (before is not None and not qualified_ago)
            or (qualified_ago and _AGO.match(text, end))
        ):
            yield start, end, "time in practice"


def find_years(text: str) -> Found:
    """1900 to 2099 standing alone ("in 2019", "2016-17", "the 1990s"), and "'08"."""
    for m in _YEAR.finditer(text):
        qualified = _ending_at(_QUALIFIED_IN, text, m.start(), 24)
        yield m.start(), m.end(), "year of qualifying" if qualified else "year"
    for m in _SHORT_YEAR.finditer(text):
        yield m.start(), m.end(), "year"


# (category, replacement, finder)
PATTERNS: tuple[tuple[str, str, Callable[[str], Found]], ...] = (
    ("email", "[email]", find_emails),
    ("url", "[website]", find_urls),
    ("phone", "[phone number]", find_phones),
    ("postcode", "[postcode]", find_postcodes),
    ("date", "[date]", find_dates),
    ("age", "[age]", find_ages),
    ("other", "[number of years]", find_time_in_practice),
    ("year", "[year]", find_years),
)
