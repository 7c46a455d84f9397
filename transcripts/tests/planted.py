"""A corpus with planted identifiers, for measuring detection: 14 fictional interviews of about
2,000+ words each, written for alliance-ta, with vault names and their variants, deny-list
people, places and organisations, names nobody listed, and pattern identifiers (e-mail, phone,
postcode, web address, date, age, year, time in practice) planted at recorded spans. The same
text every run. Pure Python: the detector's tests and its benchmark both use it.

A planted span is the identifying part only: "Imogen" in "Imogen's", "43" in "I'm 43", "twelve
years" in "twelve years qualified". It counts as found when one candidate covers it fully."""

import random
import re
import unicodedata
from dataclasses import dataclass, field

from transcripts.anonymise.detect import CAPITALISED_REASON, NER_REASON, Candidate, Entry

TRANSCRIPTS = 14
WORDS = 2_100

# The participants' real names, one per interview. Rose ("rose") and Will ("will") are words
# too: they get no lowercase variants, and "Will" is only a name in mid-sentence.
VAULT = [
    "Imogen Hartley",
    "Siobhán O'Neill",
    "Zoë Ashworth",
    "Tobias Fenwick",
    "Priyanka Raval",
    "Jean-Luc Marchetti",
    "Oluwaseun Adeyemi",
    "Rhiannon Pryce",
    "Magnus Thorsby",
    "Delyth Okafor",
    "Rose Whitlock",
    "Will Brannigan",
    "Aoife Kavanagh",
    "Kasimir Lindqvist",
]
_WORD_NAMES = {"Rose", "Will"}
DENY_PEOPLE = [
    ("Marguerite Oyelaran", "[supervisor]"),
    ("Dominic Achterberg", "[colleague]"),
    ("Fenella Quist", "[colleague]"),
    ("Bartek Nowicki", "[client]"),
    ("Hamish Drummond", "[manager]"),
    ("Ngozi Eze", "[colleague]"),
    ("Leofric Haworth", "[client]"),
    ("Saoirse Mulcahy", "[trainer]"),
    ("Teodora Vasic", "[client]"),
    ("Ravindra Sethi", "[colleague]"),
    ("Cerys Llewellyn", "[supervisor]"),
    ("Anneliese Farrow", "[client]"),
    ("Grainne Tully", "[colleague]"),
    ("Idris Penhallow", "[client]"),
    ("Mireille Castellane", "[tutor]"),
    ("Osian Bevan", "[client]"),
]
DENY_PLACES = [
    ("Otley", "[town in the north]"),
    ("Harrogate", "[town in the north]"),
    ("Keighley", "[town in the north]"),
    ("Ilkley", "[town in the north]"),
    ("Hebden Bridge", "[town in the north]"),
    ("Todmorden", "[town in the north]"),
    ("Pudsey", "[town in the north]"),
    ("Knaresborough", "[town in the north]"),
    ("Leeds General Infirmary", "[hospital]"),
    ("St Brigid's Hospice", "[hospice]"),
    ("Calderdale Royal Hospital", "[hospital]"),
    ("Wharfedale General", "[hospital]"),
]
DENY_ORGANISATIONS = [
    ("Pennine Psychotherapy Institute", "[training institute]"),
    ("Aire Valley Counselling Service", "[counselling service]"),
    ("Calder Talking Therapies", "[NHS service]"),
    ("Northgate Counselling Centre", "[counselling service]"),
    ("Brightwater Trust", "[charity]"),
    ("Kirkgate Family Support", "[charity]"),
    ("Moorside Wellbeing Hub", "[wellbeing service]"),
    ("Riverbank Youth Project", "[youth project]"),
    ("Elmfield Therapy Rooms", "[private practice]"),
]
# Names nobody listed: only the capitalised-word rule can find them, in mid-sentence.
UNLISTED = [
    "Ysolde Marwick",
    "Fintan Quarrie",
    "Anouk Vermeulen",
    "Gethin Prys",
    "Kerensa Polglaze",
    "Tamsin Rudge",
    "Ottilie Brackenbury",
    "Lorcan Devenish",
]
ALLOW = ("CBT", "DBT", "Teams", "Zoom", "NHS", "BACP", "GP")

QUESTIONS = [
    "How did you first come to this work?",
    "What does a typical week look like for you at the moment?",
    "When you think about the alliance with a client, what comes to mind first?",
    "Could you say a little about how you set up the first session?",
    "What tells you that something has gone wrong between you and a client?",
    "How do you bring that back into the room?",
    "Does working remotely change the relationship, do you think?",
    "Where do you take the difficult feelings the work leaves with you?",
    "How has your way of working changed over the years?",
    "Is there a client who taught you something about the relationship?",
    "What happens when a client wants to end sooner than you expected?",
    "Can you tell me more about that?",
    "What was that like for you?",
    "And how did that land with the client?",
    "Right. And then what happened?",
]
# Filler: ordinary speech, with the things that must not be flagged (times, money, counts,
# version numbers, days and months, allow-listed words, sentence-initial capitals, "I").
FILLER = [
    "I suppose the honest answer is that I fell into it sideways.",
    "There was no grand plan, just a series of small decisions that added up.",
    "Most weeks I see about twenty clients, sometimes a few more before the holidays.",
    "The first session is mostly listening, and trying not to fill every gap with questions.",
    "I tend to explain how confidentiality works before anything else, so nobody feels ambushed.",
    "We usually meet at 12:30 on a Wednesday, which suits people on a lunch break.",
    "Sessions are fifty minutes, and I charge £45 a session, less for students.",
    "The waiting list had 2,019 people on it at one point, which was frankly shocking.",
    "We moved to version 3.2.1 of the booking system and it still crashes on a Monday.",
    "I did my CBT training first, and only later came to the relational stuff.",
    "A lot of my work happens on Teams now, and some clients prefer Zoom.",
    "The NHS contract changed in March, and the referrals changed with it.",
    "Every member of the BACP has to keep up their hours, so I log everything.",
    "Honestly, I think the relationship is doing most of the work, not the technique.",
    "Sometimes a client will test whether I am going to leave, like others have.",
    "There are moments of real warmth, and moments where I feel held at arm's length.",
    "I notice my body first, a tightness in the chest, before I can name what is going on.",
    "When a rupture happens, I try to name it gently rather than pretend it did not happen.",
    "Silence is useful, but it can also feel punishing if the client is not ready for it.",
    "My supervisor once said that the work is in the repair, and that stayed with me.",
    "I worked out that about 300 hours of supervision had gone into my training.",
    "The building closed at half past six, so late appointments were always a squeeze.",
    "We spent Christmas week on the phone with the people who had nobody else to call.",
    "English is the second language for a lot of my clients, which changes the pace.",
    "I am not religious myself, but when a client says God helped them, I follow their words.",
    "Mum always said I was the one people told things to, so maybe it was inevitable.",
    "It took me years to stop apologising for the fee.",
    "Clients who have been let down before watch very carefully for the first slip.",
    "I keep notes short, a few lines, mostly about what I felt rather than what was said.",
    "The hardest part is the ending, especially when it comes before either of us is ready.",
    "I scored it 24 out of 27 on the outcome measure, but the number told us very little.",
    "There were 1,500 referrals last year and only four of us to see them.",
    "Working online, you lose the little rituals, the coat on the hook, the walk to the door.",
    "On the other hand, some people find it easier to talk from their own kitchen.",
    "I had to learn to tolerate not knowing, which was not something my training prepared me for.",
    "Difference is always there, in class and age and accent, even when nobody mentions it.",
    "I try to be transparent about my mistakes, because clients can usually tell anyway.",
    "We agreed on twelve sessions at first, and then extended it twice.",
    "The room has a window onto the car park, which is not ideal for reflection.",
    "I was on page 12 of the form before I realised it was the wrong one.",
    "She cancelled three times in a row, and each time I wondered what I had missed.",
    "He brought a list to every session, and we slowly learnt to put the list away.",
    "Some of my best work has happened when I felt least sure of myself.",
    "The service had a 10-minute gap between clients, which is not enough to breathe.",
    "At about quarter to nine the phones start, and they do not stop until lunch.",
    "Looking back, I would tell my younger self to trust the slow parts.",
    "Burnout crept up on me, and it was a colleague who noticed before I did.",
    "I think the alliance is less a thing you build and more a thing you keep returning to.",
    "Yeah. Yeah, I think so.",
    "Mm, that is a good question, let me think.",
    "It is tiring, rewarding, and tiring again, in that order.",
    "I used DBT skills with a few clients, adapted to the way they talk.",
    "Our team meets on a Friday morning, 9.30 until about eleven.",
    "I read maybe 40 pages a week of something clinical, when I can.",
    "I recommended a book called The Body Keeps the Score, which half my clients have read.",
    "Some of them make Spotify playlists for the bus, which I think is lovely.",
    "I listen to Radio Four on the drive in, and then sit in the car for a minute.",
    "We have seen about 2000 clients through the door since the service opened.",
    "One in 4 people will have a mental health problem, as the posters say.",
    "I get in at 7.45 and try to leave by 3pm, which rarely happens.",
    "A lot of people found us through the Samaritans, oddly enough.",
    "It was all PowerPoint slides and role play, two or three times a term.",
]

_MOBILES = ["07700 900{0:03d}", "07700-900-{0:03d}", "+44 7700 900{0:03d}", "07700900{0:03d}"]
_LANDLINES = ["0113 496 0{0:03d}", "020 7946 0{0:03d}", "(01632) 960 {0:03d}", "+44 (0)113 496 0{0:03d}"]  # fmt: skip
_INTERNATIONAL = ["+1 415 555 0{0:03d}", "+33 1 23 45 6{0:01d} 89", "+353 1 234 5{0:03d}", "+61 2 9876 5{0:03d}"]  # fmt: skip
_POSTCODES = [
    "LS1 4AP",
    "SW1A 1AA",
    "M1 1AE",
    "HG2 8QT",
    "BD7 1DP",
    "EH1 2NG",
    "CF10 3AT",
    "YO1 7HH",
]
_DOMAINS = ["pennine-psych.org.uk", "gmail.com", "nhs.net", "brightwater.example.org"]
_URLS = [
    "www.penninepsych.org.uk",
    "https://calder-talking.example.com/team",
    "airevalleycounselling.co.uk",
    "http://www.northgate.example.org/about-us/staff",
]
_MONTHS = "January February March April May June July August September October November December"
_NUMBER_WORDS = [
    *("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"),
    *("twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"),
    *("nineteen", "twenty"),
]
_TENS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty"}
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
_DECADES = ["forties", "late thirties", "early fifties", "mid-forties", "sixties", "thirties"]

# Sentences carrying plants: {slot} is planted; the rest of the sentence is context.
TEMPLATES = [
    "Thanks for making the time, {me_first}.",
    "My name is {me_full}, and I have been doing this a while.",
    "People still call me Dr {me_title_surname} at the clinic, which always feels too formal.",
    "Honestly, {me_first}'s way of doing things was formed by those early years.",
    "The {me_surname}’s practice, as the sign says, is really just me and a cat.",
    "A client once wrote {me_FIRST} in capitals on a card, which made me laugh.",
    "My sister texts me as {me_first_lc}, no capitals, like everyone her age.",
    "We all went round to the {me_surname}s' house for the leaving do.",
    "I trained with {colleague} at the {org}, back when it was tiny.",
    "My supervisor, {colleague}, has this way of asking the question I am avoiding.",
    "I rang {colleague_first} afterwards, because I needed to say it out loud.",
    "I think {colleague_surname}'s advice was right, even if I did not want it.",
    "There was a client, {client_first}, who would arrive exactly four minutes late.",
    "In the end, {client_first}'s mother came to one session, which changed everything.",
    "I worked for years at {place} before moving into private practice.",
    "I live just outside {place}, so the commute is easy.",
    "Before that I was at the {org}, on a short contract.",
    "The referral came through the {org}, as most of them do.",
    "We had a placement student, {unlisted}, who asked the best questions.",
    "I learnt a lot from my first supervisor, {unlisted_first}, about slowing down.",
    "You can e-mail me at {email} if anything comes up afterwards.",
    "My work address is {email}, but I do not check it at weekends.",
    "The best number for me is {mobile}, I keep it on silent in sessions.",
    "The service line is {landline}, although nobody answers it after five.",
    "My old supervisor moved abroad, and I still call her on {international}.",
    "The practice is at the top of the hill, postcode {postcode}.",
    "The centre moved to {postcode} last spring.",
    "They have a page about us at {url}, which is badly out of date.",
    "My last day there was {date_long}, which I remember because it snowed.",
    "The contract ended on {date_us}, a week earlier than promised.",
    "I have the letter here dated {date_num}, signed by the manager.",
    "The file was stamped {date_iso} when it came back from the archive.",
    "We finally met on the {date_ord}, after weeks of cancellations.",
    "I'm {age} now, which surprises some of the younger clients.",
    "I am {age}, so I have seen the profession change a fair bit.",
    "I was {young_age} when I started training, far too young really.",
    "She was a woman aged {age}, referred by her GP after a bereavement.",
    "He was {age} years old and had never spoken to anyone before.",
    "I remember a {age}-year-old man who wanted answers in six sessions.",
    "I'm in my {decade} and I still get nervous before a first session.",
    "I'm {age_words}, if that matters for your study.",
    "I qualified in {year}, just as the funding was cut.",
    "I have been with the same supervisor since {year}, which is a long time.",
    "Back in {year} we were still doing everything on paper.",
    "I am {duration} qualified now, give or take.",
    "I've been a counsellor for {duration}, and it still surprises me.",
    "I have been practising for {duration}, mostly with adults.",
    # Harder: sentence-initial names, decomposed accents, curly apostrophes, names inside
    # capitalised runs, more formats.
    "{me_first} is what my clients call me, mostly.",
    "Her note just said {me_first_nfd}, nothing else.",
    "It was {me_first}’s idea to record the sessions, not mine.",
    "{colleague_surname} was the one who noticed first.",
    "We ran a group at {place} Library for a while.",
    "Call me on {mobile_groups} if the link fails.",
    "The clinic number changed to {landline}.",
    "The panel met on {date_weekday}, which was a terrible day for it.",
    "It was the {date_ord_year}, I have it in the diary.",
    "I turned {age} last year, and something shifted.",
    "I started at the age of {young_age}, straight after university.",
    "I left the service in '{year_short}, when the contract changed hands.",
    "We had the same funding model from {year_range}, more or less.",
]


@dataclass(frozen=True)
class Planted:
    start: int
    end: int
    text: str
    kind: str  # vault, deny-list, unlisted, email, phone, postcode, url, date, age, year, duration
    source: str  # vault, deny-list, unlisted, pattern


@dataclass
class Transcript:
    text: str
    planted: list[Planted] = field(default_factory=list)


def _entries(names: list[tuple[str, str]], category: str) -> list[Entry]:
    return [Entry(name, category, replacement, "deny-list") for name, replacement in names]


def vault_entries() -> list[Entry]:
    return [Entry(name, "person", "[participant]", "vault") for name in VAULT]


def deny_entries(size: int = 0) -> list[Entry]:
    """The planted deny-list, padded with generated people to `size` entries (for the bench)."""
    entries = (
        _entries(DENY_PEOPLE, "person")
        + _entries(DENY_PLACES, "place")
        + _entries(DENY_ORGANISATIONS, "organisation")
    )
    rng = random.Random(2000)  # noqa: S311 — fictional names, not secrets
    firsts = _GENERATED_FIRST.split()
    surnames = _GENERATED_SURNAMES.split()
    seen = {e.text for e in entries}
    while len(entries) < size:
        name = f"{rng.choice(firsts)} {rng.choice(surnames)}"
        if name not in seen:
            seen.add(name)
            entries.append(Entry(name, "person", "[person]", "deny-list"))
    return entries


_GENERATED_FIRST = """
Aaliyah Abdul Adaeze Agnieszka Ahmed Ailsa Alasdair Alessia Alfie Amara Ananya Andrzej Annika
Arjun Astrid Aurelia Barnaby Beatrix Benedikt Bronwen Caoimhe Casimir Cosima Dafydd Dagny Darius
Dervla Desmond Dilnoza Eamon Efua Eilidh Elspeth Emeka Esme Euan Fabienne Farida Feargal Florian
Gwenllian Halima Hannelore Hendrik Hyacinth Ignatius Ines Isolde Jadwiga Jarrah Jovana Kaveh
Kezia Kofi Ladislav Leocadia Linnea Lucasta Maeve Malachy Manon Marek Matilda Mehmet Mildred
Morwenna Nadia Niamh Nkechi Oisin Ondine Orla Pascale Peregrine Philippa Quentin Radomir Ramona
Rasmus Romilly Rosalind Rufus Sabine Seren Shona Sigrid Solveig Tadhg Tariq Thaddeus Tiernan
Ulrike Valentina Veronika Wilhelmina Xanthe Yannick Yusuf Zainab Zbigniew Zuzanna
"""
_GENERATED_SURNAMES = """
Abernethy Achebe Ackroyd Ainsworth Aldridge Anstruther Appleyard Armitage Atherton Babatunde
Bannerman Barraclough Battersby Blenkinsop Bramley Brocklehurst Butterworth Cartwright Chaudhry
Clitheroe Cowgill Cruickshank Dalgleish Deverell Dimitriou Dunnington Ekwueme Entwistle Fairclough
Featherstone Fothergill Gallacher Garside Greenhalgh Gudmundsson Halliwell Hargreaves Heseltine
Holroyd Illingworth Iredale Jagger Kaczmarek Kilbride Lazenby Leatherbarrow Lindgren Loughran
Macready Mangnall Micklethwaite Moorhouse Nettleton Nuttall Oddie Ormerod Pickersgill Pilkington
Quarmby Ramsbottom Rawnsley Riordan Rushworth Satterthwaite Scargill Shackleton Sowerby Stansfield
Sutcliffe Thistlethwaite Threlfall Tomlinson Uttley Varga Waddington Whiteley Wilkinson Womersley
Yeadon Zielinski Zografos
"""


class _Writer:
    """Builds one transcript, recording where each plant lands."""

    def __init__(self, n: int, rng: random.Random) -> None:
        self.n, self.rng = n, rng
        self.parts: list[str] = []
        self.length = 0
        self.planted: list[Planted] = []
        self.words = 0
        first, *_, surname = VAULT[n - 1].split()
        self.me = {"full": VAULT[n - 1], "first": first, "surname": surname}

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)
        self.words += len(text.split())

    def plant(self, text: str, kind: str, source: str) -> None:
        self.planted.append(Planted(self.length, self.length + len(text), text, kind, source))
        self.write(text)

    def sentence(self, template: str) -> None:
        at = 0
        for m in re.finditer(r"\{(\w+)\}", template):
            self.write(template[at : m.start()])
            self.plant(*self.fill(m.group(1)))
            at = m.end()
        self.write(template[at:])

    def fill(self, slot: str) -> tuple[str, str, str]:
        rng, me = self.rng, self.me
        number = rng.randrange(1000)
        first, surname = me["first"], me["surname"]
        person, _ = rng.choice(DENY_PEOPLE)
        vault = {
            "me_first": first,
            "me_full": me["full"],
            "me_surname": surname,
            "me_title_surname": surname,
            "me_FIRST": surname.upper() if first == "Will" else first.upper(),
            "me_first_lc": surname.lower() if first in _WORD_NAMES else first.lower(),
            "me_first_nfd": unicodedata.normalize("NFD", first),
        }
        if slot in vault:
            return vault[slot], "vault", "vault"
        deny = {
            "colleague": person,
            "colleague_first": person.split()[0],
            "colleague_surname": person.split()[-1],
            "client_first": person.split()[0],
            "place": rng.choice(DENY_PLACES)[0],
            "org": rng.choice(DENY_ORGANISATIONS)[0],
        }
        if slot in deny:
            return deny[slot], "deny-list", "deny-list"
        if slot in ("unlisted", "unlisted_first"):
            name = rng.choice(UNLISTED)
            return (name if slot == "unlisted" else name.split()[0]), "unlisted", "unlisted"
        age = rng.randrange(28, 70)
        day, month, year = rng.randrange(1, 29), rng.randrange(1, 13), rng.randrange(1995, 2025)
        month_name = _MONTHS.split()[month - 1]
        ordinal = "th" if 10 <= day <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        tens, units = divmod(age, 10)
        patterns = {
            "email": lambda: (
                f"{first}.{surname}{number % 7 or ''}@{rng.choice(_DOMAINS)}".lower()
                .replace("'", "")
                .replace("ë", "e")
                .replace("á", "a"),
                "email",
            ),
            "mobile": lambda: (rng.choice(_MOBILES).format(number), "phone"),
            "landline": lambda: (rng.choice(_LANDLINES).format(number), "phone"),
            "international": lambda: (rng.choice(_INTERNATIONAL).format(number % 10), "phone"),
            "postcode": lambda: (rng.choice(_POSTCODES), "postcode"),
            "url": lambda: (rng.choice(_URLS), "url"),
            "date_long": lambda: (f"{day} {month_name} {year}", "date"),
            "date_us": lambda: (f"{month_name} {day}, {year}", "date"),
            "date_num": lambda: (f"{day:02d}/{month:02d}/{year}", "date"),
            "date_iso": lambda: (f"{year}-{month:02d}-{day:02d}", "date"),
            "date_ord": lambda: (f"{day}{ordinal} of {month_name}", "date"),
            "date_ord_year": lambda: (f"{day}{ordinal} of {month_name} {year}", "date"),
            "date_weekday": lambda: (f"{rng.choice(_WEEKDAYS)} {day} {month_name}", "date"),
            "mobile_groups": lambda: (f"07700 900 {number:03d}", "phone"),
            "year_short": lambda: (f"{year % 100:02d}", "year"),
            "year_range": lambda: (f"{year}-{(year + 1) % 100:02d}", "year"),
            "age": lambda: (str(age), "age"),
            "young_age": lambda: (str(rng.randrange(21, 35)), "age"),
            "age_words": lambda: (
                _TENS[tens * 10] + (f"-{_NUMBER_WORDS[units - 1]}" if units else ""),
                "age",
            ),
            "decade": lambda: (rng.choice(_DECADES), "age"),
            "year": lambda: (str(year), "year"),
            "duration": lambda: (f"{rng.choice(_NUMBER_WORDS[1:])} years", "duration"),
        }
        text, kind = patterns[slot]()
        return text, kind, "pattern"


def transcript(n: int, *, words: int = WORDS) -> Transcript:
    """Interview `n` (1 to 14): participant `P{n}`, whose vault name is VAULT[n - 1]."""
    rng = random.Random(n)  # noqa: S311 — fictional text, not secrets
    w = _Writer(n, rng)
    templates = TEMPLATES[:]
    rng.shuffle(templates)
    while w.words < words or templates:
        w.write("Interviewer: ")
        w.write(rng.choice(QUESTIONS))
        w.write(f"\nP{n}: ")
        for i in range(rng.randrange(3, 7)):
            if i:
                w.write(" ")
            if templates and rng.random() < 0.35:
                w.sentence(templates.pop())
            else:
                w.write(rng.choice(FILLER))
        w.write("\n")
    return Transcript("".join(w.parts), w.planted)


def corpus(*, words: int = WORDS) -> list[Transcript]:
    return [transcript(n, words=words) for n in range(1, TRANSCRIPTS + 1)]


def bench_workload() -> tuple[list[str], list[Entry], tuple[str, ...]]:
    """The benchmark's input: the 14 transcripts, the 14 vault names and a 2,000-entry
    deny-list, and the allow-list."""
    return [t.text for t in corpus()], vault_entries() + deny_entries(2000), ALLOW


def source_of(candidate: Candidate) -> str:
    """Which of the detector's sources produced a candidate, from its reason."""
    if candidate.reason.startswith(CAPITALISED_REASON):
        return "capitalised"
    if candidate.reason == NER_REASON:
        return "ner"
    if candidate.category in ("person", "place", "organisation") or "(vault)" in candidate.reason:
        return "entries"
    return "patterns"


def measure(transcripts: list[Transcript], detect) -> dict[str, dict]:
    """Recall per kind and per source of plant, precision per detector source: a plant is found
    when one candidate covers it; a candidate is right when it overlaps some plant."""
    found: dict[str, list[int]] = {}
    right: dict[str, list[int]] = {}
    for t in transcripts:
        candidates = detect(t.text)
        for p in t.planted:
            hit = any(c.start <= p.start and p.end <= c.end for c in candidates)
            for key in (f"kind:{p.kind}", f"source:{p.source}"):
                found.setdefault(key, [0, 0])
                found[key][0] += hit
                found[key][1] += 1
        for c in candidates:
            ok = any(c.start < p.end and p.start < c.end for p in t.planted)
            key = source_of(c)
            right.setdefault(key, [0, 0])
            right[key][0] += ok
            right[key][1] += 1
    return {
        "recall": {k: (hit / n, hit, n) for k, (hit, n) in sorted(found.items())},
        "precision": {k: (ok / n, ok, n) for k, (ok, n) in sorted(right.items())},
    }
