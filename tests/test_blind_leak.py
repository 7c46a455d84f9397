"""The blind rule, proved from the outside (SECURITY.md, "Blind coding").

During an open round, coder B's code label and memos carry canary strings. Coder A (and a viewer)
then requests every URL pattern of the project by GET — the routes are walked, never listed, so a
view added later is covered without touching this file — with every parameter filled with real
objects of the study, plainly and as htmx, with and without search and filter parameters. No
response, download or header may contain a canary. When the lead unblinds the round, the canaries
appear where they belong: on coder A's code-and-retrieve and transcript pages.
"""

import functools
import io
import itertools
import re
import zipfile
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db.models import UUIDField
from django.urls import reverse

from coding.models import Code, Coding, Memo
from coding.rounds import round_open, round_unblind
from coding.services import code_create, coding_apply
from coding.tests.factories import make_locked_transcript
from studies.models import AttributeDefinition, AttributeValue, Interview, Membership
from tests.test_access_matrix import ROUTES

pytestmark = pytest.mark.django_db

LABEL = "zq-canary-7f3a"
CODING_MEMO = "zq-canary-memo-1b2c"
CODE_MEMO = "zq-canary-memo-9d8e"
SHARED_CODE_MEMO = "zq-canary-memo-5e6f"
CANARIES = [LABEL, CODING_MEMO, CODE_MEMO, SHARED_CODE_MEMO]
SEARCH_TERM = "zq-canary"  # a search box may echo this; only a whole canary is a leak
FORMATS = ["csv", "docx", "xlsx", "ods", "json", "txt", "pdf", "qdpx", "zip", "html", "md", "xml"]
COMBINATIONS_PER_ROUTE = 150
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def member(study, user):
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def span(transcript, words):
    start = transcript.versions.get().text.index(words)
    return start, start + len(words)


@pytest.fixture
def blind_study(study, lead, coder_a, coder_b, custodian):
    """Locked transcripts, an open round on two of them for coders A and B, and coder B's canary
    code, codings and memos; coder A's own work beside them, and a transcript outside the round."""
    from datetime import date

    t1, t2, t3 = (make_locked_transcript(study, f"P{n}") for n in (1, 2, 3))
    profession = AttributeDefinition.objects.create(study=study, name="Profession")
    AttributeValue.objects.create(participant=t1.participant, attribute=profession, value="nurse")
    Interview.objects.create(participant=t1.participant, held_on=date(2025, 1, 6))
    shared = code_create(member=member(study, lead), label="shared repair")
    # Coder A's work before the round, on a transcript that stays outside it.
    start, end = span(t3, "I listen first")
    coding_apply(member=member(study, coder_a), transcript=t3, start=start, end=end, codes=[shared])

    coding_round = round_open(
        member=member(study, lead),
        title="Round 1",
        transcripts=[t1, t2],
        coders=[coder_a, coder_b],
    )
    b = member(study, coder_b)
    start, end = span(t1, "I name it")
    (canary_coding,) = coding_apply(member=b, transcript=t1, start=start, end=end, new_label=LABEL)
    canary_code = canary_coding.code
    start, end = span(t2, "we repair it together")
    (shared_coding,) = coding_apply(member=b, transcript=t2, start=start, end=end, codes=[shared])
    Memo.objects.create(study=study, author=coder_b, coding=canary_coding, text=CODING_MEMO)
    Memo.objects.create(study=study, author=coder_b, code=canary_code, text=CODE_MEMO)
    Memo.objects.create(study=study, author=coder_b, coding=shared_coding, text=SHARED_CODE_MEMO)

    a = member(study, coder_a)
    start, end = span(t1, "café small talk")
    (own,) = coding_apply(member=a, transcript=t1, start=start, end=end, new_label="small talk")
    Memo.objects.create(study=study, author=coder_a, coding=own, text="A's own memo")
    return {
        "round": coding_round,
        "transcripts": (t1, t2, t3),
        "canary_code": canary_code,
        "canary_coding": canary_coding,
        "shared": shared,
        "own_code": own.code,
        # The objects the walk tries first: coder B's, then what surrounds them.
        "first": [canary_code, canary_coding, shared_coding, shared, t1, t2, *Memo.objects.all()],
    }


# Filling the URL parameters -----------------------------------------------------------------


def uuid_models() -> list:
    return [
        model
        for model in apps.get_models()
        if any(isinstance(f, UUIDField) and f.name == "uuid" for f in model._meta.fields)
    ]


@functools.cache
def model_words(model) -> set[str]:
    """The words a URL may use for a model: `codinground`, `round`, `coding-round`, `entry`…"""
    name = model._meta.model_name
    camel = re.findall(r"[A-Z][a-z]*", model.__name__)
    return {name, camel[-1].lower(), "-".join(camel).lower(), "_".join(camel).lower()}


def models_named(name: str) -> list:
    plain = name.replace("_", "").replace("-", "").lower()
    return [
        model
        for model in uuid_models()
        if plain == model._meta.model_name
        or model._meta.model_name.endswith(plain)
        or plain in model_words(model)
    ]


def pool() -> dict[str, type]:
    """Every object with a UUID in the test database (there is only the one study), by UUID."""
    return {
        str(uuid): model
        for model in uuid_models()
        for uuid in model.objects.values_list("uuid", flat=True)
    }


def words(usernames: list[str]) -> list[str]:
    """Candidates for a slug or str parameter: usernames, names of models, formats."""
    names = sorted({word for model in uuid_models() for word in model_words(model)})
    return [*usernames, *names, *FORMATS, "dataset", "all", "1"]


def candidates(converter: str, name: str, objects: dict, first: list, usernames: list) -> list:
    if converter == "uuid":
        preferred = set(models_named(name))
        leading = [str(o.uuid) for o in first]
        return sorted(
            objects,
            key=lambda u: (
                objects[u] not in preferred,
                leading.index(u) if u in leading else len(leading),
            ),
        )
    if converter == "int":
        return ["1", "2", *(str(o.pk) for o in first)]
    if converter == "path":
        return ["x/y", *FORMATS]
    return words(usernames)


def combinations(route: str, study, objects: dict, first: list, usernames: list) -> list[str]:
    """Concrete URLs for a route, most telling first: a word parameter naming the model of a UUID
    parameter's object (memos/<on>/<target>/ with on=coding and a coding), and coder B's objects."""
    params = [(c or "str", n) for c, n in PARAMETER.findall(route) if n != "study"]
    lists = [candidates(c, n, objects, first, usernames) for c, n in params]

    def rank(values) -> tuple:
        uuids = [objects[v] for (c, _n), v in zip(params, values, strict=True) if c == "uuid"]
        wordy = [v for (c, _n), v in zip(params, values, strict=True) if c in {"str", "slug"}]
        matched = all(any(w in model_words(m) for w in wordy) for m in uuids) if wordy else True
        spread = sum(lst.index(v) for lst, v in zip(lists, values, strict=True))
        return (not matched, spread)

    chosen = sorted(itertools.product(*lists), key=rank)[:COMBINATIONS_PER_ROUTE]
    names = [n for _c, n in params]
    return [
        fill(route, dict(zip(names, values, strict=True), study=study.slug)) for values in chosen
    ]


def fill(route: str, values: dict[str, str]) -> str:
    return "/" + PARAMETER.sub(lambda m: values[m.group(2)], route)


# Reading a response whole ---------------------------------------------------------------------


def everything_in(response) -> bytes:
    """The body (streamed or not, and inside a zip: a docx, xlsx or qdpx), and the headers."""
    body = b"".join(response.streaming_content) if response.streaming else bytes(response.content)
    parts = [body, *(f"{k}: {v}".encode() for k, v in response.headers.items())]
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            parts += [archive.read(name) for name in archive.namelist()]
    return b"\n".join(parts).lower()


def leaked(response) -> list[str]:
    content = everything_in(response)
    return [canary for canary in CANARIES if canary.encode() in content]


def walk_as(client, study, blind) -> dict[str, dict[str, int]]:
    """GET every URL of every route; fail on any canary. The status of each URL, by route name."""
    objects, first = pool(), blind["first"]
    usernames = list(
        Membership.objects.filter(study=study).values_list("user__username", flat=True)
    )
    probes = {
        "q": SEARCH_TERM,
        "query": SEARCH_TERM,
        "search": SEARCH_TERM,
        "term": SEARCH_TERM,
        "coder": "coder_b",
        "author": "coder_b",
        "code": str(blind["canary_code"].uuid),
        "at": str(blind["canary_coding"].start),  # a point under coder B's coding
    }
    statuses: dict[str, dict[str, int]] = {}
    for route, pattern in ROUTES:
        if pattern.name == "logout":
            continue  # the walk must stay logged in
        if "<slug:study>" not in route:
            urls = [fill(route, {name: "x" for _c, name in PARAMETER.findall(route)})]
        else:
            urls = combinations(route, study, objects, first, usernames)
        for url in urls:
            response = client.get(url)
            statuses.setdefault(pattern.name, {})[url] = response.status_code
            found = leaked(response)  # once: a streamed download is read only once
            assert not found, f"GET {url} ({pattern.name}) shows {found}"
            if response.status_code == 405:
                break  # a GET the route refuses for its best URL it refuses for all
            if response.status_code in {403, 404}:
                continue
            for variant in (
                client.get(url, headers={"HX-Request": "true"}),
                client.get(f"{url}?{urlencode(probes)}"),
                client.get(f"{url}?{urlencode(probes)}", headers={"HX-Request": "true"}),
            ):
                found = leaked(variant)
                assert not found, f"GET {variant.wsgi_request.get_full_path()} shows {found}"
    return statuses


@pytest.mark.parametrize("persona", ["coder_a", "viewer"])
def test_no_page_shows_another_coders_work_during_a_blind_round(
    client_for, study, blind_study, personas, persona, lead
):
    client = client_for(personas[persona])
    statuses = walk_as(client, study, blind_study)

    ok = [url for by_url in statuses.values() for url, status in by_url.items() if status == 200]
    assert len(ok) >= 25, f"the walk reached only {len(ok)} pages"
    # The pages that would show the canaries if the rule broke were really read.
    t1 = blind_study["transcripts"][0]
    assert statuses["coding-transcript"][f"/s/{study.slug}/coding/{t1.uuid}/"] == 200
    assert 200 in statuses["coding-rounds"].values()
    canary_retrieve = reverse("coding-retrieve", args=[study.slug, blind_study["canary_code"].uuid])
    assert statuses["coding-retrieve"][canary_retrieve] == 404
    shared_retrieve = reverse("coding-retrieve", args=[study.slug, blind_study["shared"].uuid])
    assert statuses["coding-retrieve"][shared_retrieve] == 200

    # The canaries were there to be found: the lead, who does not code in the round, sees them.
    lead_sees = client_for(lead).get(reverse("coding-transcript", args=[study.slug, t1.uuid]))
    assert LABEL in lead_sees.text


def test_a_blind_code_used_outside_the_round_stays_hidden(
    client_for, study, blind_study, coder_a, coder_b
):
    t3 = blind_study["transcripts"][2]
    start, end = span(t3, "I name it")
    coding_apply(
        member=member(study, coder_b),
        transcript=t3,
        start=start,
        end=end,
        codes=[blind_study["canary_code"]],
    )
    page = client_for(coder_a).get(reverse("coding-transcript", args=[study.slug, t3.uuid]))
    assert LABEL not in page.text


def test_the_walk_catches_a_leak(client_for, study, blind_study, lead):
    """The lead codes in no round and sees coder B's work: to the walk, that is a leak."""
    with pytest.raises(AssertionError, match=LABEL):
        walk_as(client_for(lead), study, blind_study)


def test_after_unblinding_the_canaries_appear_where_they_belong(
    client_for, study, blind_study, coder_a, lead
):
    round_unblind(member=member(study, lead), coding_round=blind_study["round"])
    client = client_for(coder_a)
    t1 = blind_study["transcripts"][0]
    code, coding = blind_study["canary_code"], blind_study["canary_coding"]

    retrieve = client.get(reverse("coding-retrieve", args=[study.slug, code.uuid]))
    assert retrieve.status_code == 200
    assert f"{LABEL} <span" in retrieve.text  # the heading
    assert CODE_MEMO in retrieve.text
    extract = retrieve.text.split(f'id="extract-{coding.uuid}"')[1].split("</li>")[0]
    assert '<mark class="extract-text">I name it</mark>' in extract and CODING_MEMO in extract
    page = reverse("coding-transcript", args=[study.slug, t1.uuid])
    link = f"{page}?at={coding.start}#turn-4"
    assert f'href="{link}"' in extract

    shared = client.get(reverse("coding-retrieve", args=[study.slug, blind_study["shared"].uuid]))
    assert SHARED_CODE_MEMO in shared.text

    page = client.get(reverse("coding-transcript", args=[study.slug, t1.uuid])).text
    assert LABEL in page
    at = reverse("coding-transcript", args=[study.slug, t1.uuid]) + f"?at={coding.start}"
    highlight = client.get(at).text
    assert str(coding.uuid) in highlight and CODING_MEMO in highlight
    assert Coding.objects.visible_to(member(study, coder_a)).filter(pk=coding.pk).exists()
    assert Code.objects.visible_to(member(study, coder_a)).filter(pk=code.pk).exists()
