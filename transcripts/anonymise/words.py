"""The words detection leans on: the dictionary (Webster's Second, web2, from the english-words
package, loaded once from the installed package), the most common English words, and proper
nouns that identify nobody (days, months, nationalities, holidays)."""

from functools import cache, lru_cache

from english_words import get_english_words_set


def _list(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Roughly the 500 most frequent English words. A name part that is one of these ("Will", "May",
# "Long") is only matched where it is capitalised in mid-sentence; elsewhere it is the word.
COMMON_WORDS = frozenset(
    _list(
        """
    a about above across act actually add after again against age ago air all almost alone along
    already also although always am among an and another answer any anyone anything are area
    around as ask at away back bad be became because become bed been before began begin behind
    being believe best better between big bit black body book both boy bring brought build but
    buy by call came can car care carry case cause certain change child children city class clear
    close cold come common could country course cut dark day deal did different do does dog done
    door down draw during each early earth ease east easy eat end enough even ever every example
    eye face fact fall family far fast father feel feet felt few field find fine fire first fish
    five fly follow food for form found four free friend from front full game gave get girl give
    go good got great green ground group grow had half hand happen hard has have he head hear
    heard heart help her here high him himself his hold home hope horse hot hour house how however
    hundred i idea if important in inside into is it its just keep kind king knew know land large
    last late later lay lead learn least leave left less let life light like line list little live
    long look lot love low made make man many mark matter may me mean men might mile mind minute
    miss money more morning most mother move much must my name near need never new next night no
    north not note nothing now number of off often oh old on once one only open or order other our
    out over own page paper part pass past pay people perhaps person picture piece place plan play
    point poor possible power press pretty problem pull put question quite ran rather reach read
    ready real really reason red remember rest right river road rock room round rule run said same
    saw say school sea second see seem seen self sell send sense set several shall she ship short
    should show side simple since sing sit six size small so some someone something sometimes soon
    sound south speak spring stand star start state stay still stood stop story street strong study
    such sun sure table take talk tell ten than that the their them then there these they thing
    think this those though thought three through time to today together told too took top toward
    town tree tried true try turn two under understand until up upon us use very voice wait walk
    want war warm was watch water way we week well went were west what when where whether which
    while white who whole why wide will wind with within without woman women wood word words work
    world would write year yes yet you young your able anyway business company feeling general
    government hospital issue job level local lose maybe means member month office party police
    process programme public service social support system team thanks type yeah yesterday
    """
    )
)

DAYS = frozenset(_list("monday tuesday wednesday thursday friday saturday sunday"))
MONTHS = frozenset(
    _list("january february march april may june july august september october november december")
)

# Capitalised words a transcript is full of and that narrow nobody down. Acronyms ("NHS",
# "BACP") are deliberately absent: the study allow-lists the ones it considers harmless.
NON_IDENTIFYING = frozenset(
    _list(
        """
    english british scottish welsh irish european american african asian caribbean indian
    pakistani chinese polish uk england britain europe
    god jesus christ christian christians christianity muslim muslims islam islamic jewish jew
    hindu sikh buddhist catholic protestant bible quran
    christmas easter ramadan eid diwali hanukkah passover halloween mass lent
    mum mummy dad daddy nan nana grandma grandad granny ok okay
    """
    )
)

# Titles before a name: never part of a candidate, so "Dr Hartley" becomes "Dr [participant]".
TITLES = frozenset(_list("dr mr mrs ms miss mx prof professor sir dame rev revd fr"))

# Lowercase particles inside a name ("Ana de Souza"): never a name on their own.
PARTICLES = _list("de da di du del della van von der den la le bin al el ap")

# Words web2 is too old to know, ordinary in any interview today.
MODERN_WORDS = frozenset(
    _list(
        """
    online offline email emails emailed emailing okay internet website websites webcam wifi app
    apps smartphone smartphones laptop laptops lockdown lockdowns podcast podcasts texted texting
    google googled googling selfie covid
    """
    )
)

UNITS = _list(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
TENS = _list("twenty thirty forty fifty sixty seventy eighty ninety")


@cache
def _web2() -> tuple[frozenset[str], frozenset[str]]:
    """(entries spelt in lowercase, entries spelt with capitals) of the web2 list."""
    words = get_english_words_set(["web2"], lower=False)
    lowercase = frozenset(w for w in words if w.islower()) | MODERN_WORDS
    return lowercase, frozenset(w for w in words if not w.islower())


def load() -> None:
    """Load the dictionary now (about a tenth of a second, once per process)."""
    _web2()


def dictionary_word(word: str) -> bool:
    """Is `word`, lowercased, spelt as it is an ordinary lowercase dictionary entry?"""
    return word.lower() in _web2()[0]


# Plurals only of nouns built with these endings: no surname ends in them, while a plain "s"
# would turn surnames into words (Hastings, Barnes, Banks).
_PLURAL_ENDINGS = ("ions", "ences", "ances", "ments", "nesses", "ities", "ships", "isms", "ists")


def _bases(lower: str) -> list[str]:
    """Dictionary forms of an inflected word: -ed, -ing ("Asked", "Thinking") and the plurals of
    derived nouns ("Limitations", "Sciences")."""
    bases = []
    if lower.endswith(_PLURAL_ENDINGS):
        bases += [lower[:-1], lower[:-3] + "y"] if lower.endswith("ities") else [lower[:-1]]
        if lower.endswith("nesses"):
            bases.append(lower[:-2])
    for suffix in ("ed", "ing"):
        if lower.endswith(suffix) and len(lower) > len(suffix) + 2:
            stem = lower[: -len(suffix)]
            bases += [stem, stem + "e"]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                bases.append(stem[:-1])  # stopped → stop
            if suffix == "ed" and stem.endswith("i"):
                bases.append(stem[:-1] + "y")  # tried → try
    return bases


@lru_cache(maxsize=65_536)  # a study's vocabulary of capitalised words, not every word ever
def ordinary(word: str) -> bool:
    """Is `word` an ordinary English word rather than a name? Its lowercase form (or the stem of
    an -ed or -ing form, or the singular of a derived noun's plural) is a lowercase dictionary
    entry, and the dictionary does not also list it as a proper noun ("Mary", "Bath"), unless it
    is one of the most common words."""
    lowercase, proper = _web2()
    lower = word.lower()
    if lower in lowercase:
        # web2 knows "mary", "lucy" and "bath" as words too; capitalised in mid-sentence they are
        # the name. The most common words ("Will", "Mark") stay words: too many false alarms.
        return lower in COMMON_WORDS or word.capitalize() not in proper
    if word in proper or word.capitalize() in proper:
        return False
    return any(base in lowercase for base in _bases(lower))


# Prefixes before a hyphen that are not words on their own ("Co-Created", "Re-Referral").
PREFIXES = frozenset(_list("co re pre non anti self post sub inter multi semi ex mid"))


def non_identifying(word: str) -> bool:
    """Days, months, nationalities, faiths, holidays and family words: capitalised, harmless."""
    lower = word.lower()
    return lower in DAYS or lower in MONTHS or lower in NON_IDENTIFYING
