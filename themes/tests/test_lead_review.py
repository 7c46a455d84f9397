"""The lead author's review: threads of comments on a theme or on the map, replies (always on the
thread's own theme), resolving a thread, and the lead's verdicts — the services, the review page
and its forms, roles, the audit trail and the page's query count."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from studies.models import AuditEvent, Membership
from studies.tests.factories import make_study
from themes import lead_review
from themes.lead_review import comment_add, comment_resolve, threads_for, verdict_record
from themes.models import ReviewComment, ReviewVerdict, Theme
from themes.services import holding_area

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def member(study, user) -> Membership:
    return Membership.objects.select_related("study", "user").get(study=study, user=user)


def make_theme(study, name: str, by, **fields) -> Theme:
    return Theme.objects.create(study=study, name=name, created_by=by, **fields)


def url(study, name: str, *args) -> str:
    return reverse(name, args=[study.slug, *args])


def reviews() -> list[dict]:
    return list(
        AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW)
        .order_by("pk")
        .values_list("details", flat=True)
    )


@pytest.fixture
def trust(study, lead) -> Theme:
    return make_theme(study, "Trust", lead)


@pytest.fixture
def other_study(custodian):
    return make_study(creator=custodian, title="Another study")


class TestComments:
    def test_a_coder_comments_on_a_theme_and_on_the_map(self, study, coder_a, trust):
        on_theme = comment_add(member=member(study, coder_a), text="  Too broad?  ", theme=trust)
        on_map = comment_add(member=member(study, coder_a), text="Where does Care sit?")
        assert (on_theme.theme, on_theme.text, on_theme.author) == (trust, "Too broad?", coder_a)
        assert on_map.theme is None and on_map.reply_to is None
        assert reviews() == [
            {"change": "comment", "comment": str(on_theme.uuid), "thread": None,
             "on": str(trust.uuid), "theme": "Trust"},
            {"change": "comment", "comment": str(on_map.uuid), "thread": None,
             "on": "map", "theme": None},
        ]  # fmt: skip
        assert all("Too broad" not in str(details) for details in reviews())  # no words

    def test_a_reply_belongs_to_its_threads_theme(self, study, lead, coder_a, trust):
        first = comment_add(member=member(study, lead), text="Tighten the boundary.", theme=trust)
        reply = comment_add(member=member(study, coder_a), text="Done.", reply_to=first)
        assert (reply.theme, reply.reply_to) == (trust, first)
        same = comment_add(member=member(study, lead), text="Thanks", theme=trust, reply_to=first)
        assert same.theme == trust
        # A reply to a reply joins the thread.
        deeper = comment_add(member=member(study, lead), text="Agreed.", reply_to=reply)
        assert deeper.reply_to == first
        assert reviews()[-1]["change"] == "reply" and reviews()[-1]["thread"] == str(first.uuid)

    def test_a_reply_naming_another_theme_or_the_map_is_refused(self, study, lead, trust):
        doubt = make_theme(study, "Doubt", lead)
        on_map = comment_add(member=member(study, lead), text="The map is crowded.")
        on_trust = comment_add(member=member(study, lead), text="Hm.", theme=trust)
        for theme, parent in [(doubt, on_trust), (trust, on_map)]:
            with pytest.raises(ValidationError, match="same theme"):
                comment_add(member=member(study, lead), text="x", theme=theme, reply_to=parent)
        assert ReviewComment.objects.count() == 2

    @pytest.mark.parametrize("text", ["", "   ", "x" * 5001])
    def test_a_comment_needs_words_within_the_limit(self, study, coder_a, text):
        with pytest.raises(ValidationError):
            comment_add(member=member(study, coder_a), text=text)
        assert not ReviewComment.objects.exists() and not reviews()

    def test_another_studys_theme_or_comment_is_refused(
        self, study, other_study, coder_a, custodian
    ):
        foreign_theme = make_theme(other_study, "Elsewhere", custodian)
        foreign = comment_add(member=member(other_study, custodian), text="there")
        with pytest.raises(ValidationError, match="another study"):
            comment_add(member=member(study, coder_a), text="x", theme=foreign_theme)
        with pytest.raises(ValidationError, match="another study"):
            comment_add(member=member(study, coder_a), text="x", reply_to=foreign)
        with pytest.raises(ValidationError, match="another study"):
            comment_resolve(member=member(study, coder_a), comment=foreign)
        assert ReviewComment.objects.filter(study=study).count() == 0

    def test_a_viewer_reads_but_does_not_comment(self, study, viewer, coder_a):
        first = comment_add(member=member(study, coder_a), text="A thought.")
        with pytest.raises(PermissionDenied):
            comment_add(member=member(study, viewer), text="Me too")
        with pytest.raises(PermissionDenied):
            comment_resolve(member=member(study, viewer), comment=first)
        assert [c.text for c in threads_for(member(study, viewer))] == ["A thought."]


class TestResolving:
    def test_resolving_a_thread_keeps_it_on_record(self, study, lead, coder_a, trust):
        first = comment_add(member=member(study, lead), text="Rename it?", theme=trust)
        reply = comment_add(member=member(study, coder_a), text="Renamed.", reply_to=first)
        resolved = comment_resolve(member=member(study, coder_a), comment=reply)  # via a reply
        assert resolved == first
        first.refresh_from_db()
        assert first.resolved_by == coder_a and first.resolved_at is not None
        assert threads_for(member(study, lead), trust) == []
        (kept,) = threads_for(member(study, lead), trust, open_only=False)
        assert [r.text for r in kept.thread] == ["Renamed."]
        assert reviews()[-1] == {"change": "resolved", "comment": str(first.uuid),
                                 "on": str(trust.uuid), "theme": "Trust"}  # fmt: skip

    def test_a_resolved_thread_is_not_resolved_twice_or_answered(self, study, lead, coder_a):
        first = comment_add(member=member(study, lead), text="Map legend?")
        comment_resolve(member=member(study, lead), comment=first)
        with pytest.raises(ValidationError, match="already resolved by lead"):
            comment_resolve(member=member(study, coder_a), comment=first)
        with pytest.raises(ValidationError, match="resolved"):
            comment_add(member=member(study, coder_a), text="late", reply_to=first)
        assert ReviewComment.objects.count() == 1 and len(reviews()) == 2


class TestVerdicts:
    def test_the_lead_approves_a_theme_and_asks_for_changes_on_the_map(self, study, lead, trust):
        approved = verdict_record(member=member(study, lead), verdict="approved", theme=trust)
        changes = verdict_record(
            member=member(study, lead), verdict="changes", note="Link Care to Trust."
        )
        assert (approved.theme, approved.verdict, approved.by) == (trust, "approved", lead)
        assert (changes.theme, changes.note) == (None, "Link Care to Trust.")
        assert reviews() == [
            {"change": "verdict", "verdict": "approved", "on": str(trust.uuid), "theme": "Trust"},
            {"change": "verdict", "verdict": "changes", "on": "map", "theme": None},
        ]
        latest = lead_review.latest_verdicts(member(study, lead))
        assert latest == {trust.pk: approved, None: changes}

    def test_the_latest_verdict_stands(self, study, lead, custodian, trust):
        verdict_record(member=member(study, lead), verdict="changes", theme=trust, note="Narrow it")
        later = verdict_record(member=member(study, custodian), verdict="approved", theme=trust)
        assert lead_review.latest_verdicts(member(study, lead))[trust.pk] == later
        assert ReviewVerdict.objects.count() == 2

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_only_leads_and_custodians_give_verdicts(self, study, personas, persona, trust):
        with pytest.raises(PermissionDenied):
            verdict_record(member=member(study, personas[persona]), verdict="approved", theme=trust)
        assert not ReviewVerdict.objects.exists() and not reviews()

    def test_bad_verdicts_are_refused(self, study, lead, trust, other_study, custodian):
        lead_m = member(study, lead)
        cases = [
            ({"verdict": "maybe", "theme": trust}, "not a verdict"),
            ({"verdict": "changes", "theme": trust, "note": "  "}, "Say which changes “Trust”"),
            ({"verdict": "changes"}, "Say which changes the map"),
            ({"verdict": "approved", "theme": holding_area(lead_m)}, "holding area"),
            ({"verdict": "approved", "theme": make_theme(other_study, "X", custodian)}, "another"),
            ({"verdict": "approved", "note": "x" * 2001}, "at most 2,000"),
        ]
        for kwargs, message in cases:
            with pytest.raises(ValidationError, match=message):
                verdict_record(member=lead_m, **kwargs)
        assert not ReviewVerdict.objects.exists() and not reviews()


# The pages -------------------------------------------------------------------------------------


@pytest.fixture
def discussed(study, lead, coder_a, coder_b, trust):
    """Open threads on Trust (with replies) and on the map, a resolved one, a subtheme, verdicts."""
    sub = make_theme(study, "Earned trust", lead, parent=trust)
    holding_area(member(study, lead))
    first = comment_add(member=member(study, lead), text="Is this two themes?", theme=trust)
    comment_add(member=member(study, coder_a), text="Maybe a subtheme.", reply_to=first)
    comment_add(member=member(study, coder_b), text="The map needs a legend.")
    done = comment_add(member=member(study, lead), text="Old worry.", theme=sub)
    comment_resolve(member=member(study, lead), comment=done)
    verdict_record(member=member(study, lead), verdict="approved", theme=sub)
    verdict_record(member=member(study, lead), verdict="changes", note="Fewer arrows.")
    return {"first": first, "sub": sub}


def section(text: str, key: str) -> str:
    return text.split(f'id="review-{key}"')[1].split("</section>\n\n")[0]


class TestReviewPage:
    def test_open_threads_are_listed_per_theme_and_for_the_map(
        self, client_for, study, viewer, discussed, trust
    ):
        response = client_for(viewer).get(url(study, "themes-review"))
        assert response.status_code == 200
        text = response.text
        on_trust = section(text, str(trust.uuid))
        assert "Is this two themes?" in on_trust and "Maybe a subtheme." in on_trust
        assert on_trust.index("Is this two themes?") < on_trust.index("Maybe a subtheme.")
        on_map = section(text, "map")
        assert "The map needs a legend." in on_map
        assert "Changes requested" in on_map and "Fewer arrows." in on_map
        sub = section(text, str(discussed["sub"].uuid))
        assert "Approved" in sub and "Subtheme of “Trust”" in sub
        assert "Old worry." not in text  # resolved
        assert "Miscellaneous" not in text  # the holding area is not reviewed
        assert "3 open threads" not in text and "2 open threads" in text

    def test_a_viewer_sees_no_forms(self, client_for, study, viewer, discussed):
        text = client_for(viewer).get(url(study, "themes-review")).text
        for name in ("themes-comment", "themes-verdict"):
            assert url(study, name) not in text
        assert "Resolve the thread" not in text

    def test_a_coder_comments_but_gives_no_verdict(self, client_for, study, coder_a, discussed):
        text = client_for(coder_a).get(url(study, "themes-review")).text
        assert url(study, "themes-comment") in text and "Resolve the thread" in text
        assert url(study, "themes-verdict") not in text

    def test_a_lead_sees_the_verdict_forms(self, client_for, study, lead, discussed):
        text = client_for(lead).get(url(study, "themes-review")).text
        assert text.count(f'action="{url(study, "themes-verdict")}"') == 3  # map, two themes
        assert ">Approve</button>" in text and ">Ask for changes</button>" in text

    def test_an_outsider_gets_404(self, client_for, study, outsider, discussed):
        client = client_for(outsider)
        assert client.get(url(study, "themes-review")).status_code == 404
        assert client.post(url(study, "themes-comment"), {"text": "hi"}).status_code == 404
        assert client.post(url(study, "themes-verdict"), {"verdict": "approved"}).status_code == 404
        resolve = url(study, "themes-comment-resolve", discussed["first"].uuid)
        assert client.post(resolve).status_code == 404
        assert (
            not ReviewComment.objects.filter(resolved_at__isnull=False, reply_to=None)
            .exclude(text="Old worry.")
            .exists()
        )

    @pytest.mark.parametrize("size", [1, 10])
    def test_the_query_count_is_constant(
        self, client_for, study, lead, coder_a, size, django_assert_num_queries
    ):
        for n in range(size):
            theme = make_theme(study, f"Theme {n}", lead)
            make_theme(study, f"Sub {n}", lead, parent=theme)
            first = comment_add(member=member(study, lead), text=f"Question {n}", theme=theme)
            comment_add(member=member(study, coder_a), text=f"Answer {n}", reply_to=first)
            comment_add(member=member(study, coder_a), text=f"Map note {n}")
            verdict_record(member=member(study, lead), verdict="approved", theme=theme)
        client = client_for(lead)
        client.get(reverse("study-list"))
        with django_assert_num_queries(8):
            response = client.get(url(study, "themes-review"))
        assert response.text.count("Answer ") == size and response.text.count("Approved") == size


class TestCommentForms:
    def test_a_comment_from_a_plain_form_goes_back_to_its_page(
        self, client_for, study, coder_a, trust
    ):
        back = url(study, "themes-review") + "#review-x"
        response = client_for(coder_a).post(
            url(study, "themes-comment"), {"text": "Too wide.", "theme": trust.uuid, "next": back}
        )
        assert response.status_code == 302 and response["Location"] == back
        assert ReviewComment.objects.get().theme == trust

    @pytest.mark.parametrize("next_url", ["https://evil.example/", "/s/another/themes/", ""])
    def test_it_never_goes_back_elsewhere(self, client_for, study, coder_a, next_url):
        response = client_for(coder_a).post(
            url(study, "themes-comment"), {"text": "Map?", "next": next_url}
        )
        assert response["Location"] == url(study, "themes-review")

    def test_with_htmx_the_thread_block_comes_back(self, client_for, study, coder_a, trust):
        response = client_for(coder_a).post(
            url(study, "themes-comment"), {"text": "Too wide.", "theme": trust.uuid}, headers=HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<section id="comments-{trust.uuid}"')
        assert "Too wide." in response.text and 'hx-swap-oob="true"' in response.text
        assert "theme-review-changed" in response["HX-Trigger"]
        first = ReviewComment.objects.get()
        reply = client_for(coder_a).post(
            url(study, "themes-comment"),
            {"text": "Narrowed.", "reply_to": first.uuid, "theme": trust.uuid},
            headers=HTMX,
        )
        assert reply.status_code == 200 and "Narrowed." in reply.text
        assert ReviewComment.objects.get(text="Narrowed.").reply_to == first

    def test_bad_input_keeps_the_draft_and_stores_nothing(
        self, client_for, study, coder_a, lead, trust
    ):
        first = comment_add(member=member(study, lead), text="Map?")
        client = client_for(coder_a)
        cases = [
            ({"text": "   ", "theme": trust.uuid}, "A comment needs some words."),
            ({"text": "x" * 5001, "theme": trust.uuid}, "at most 5000 characters"),
            ({"text": "draft words", "reply_to": trust.uuid}, "not (or no longer) here"),
            ({"text": "draft words", "theme": trust.uuid, "reply_to": first.uuid}, "same theme"),
        ]
        for data, message in cases:
            for headers in (HTMX, {}):
                response = client.post(url(study, "themes-comment"), data, headers=headers)
                assert response.status_code == 422, data
                assert message in response.text, (data, response.text[:300])
                if data["text"].strip():  # the words come back, to send again
                    assert f"{data['text']}</textarea>" in response.text, data
        assert ReviewComment.objects.count() == 1

    def test_a_theme_that_has_gone_is_named(self, client_for, study, coder_a, trust):
        gone = trust.uuid
        trust.delete()
        client = client_for(coder_a)
        for value in (gone, "not-a-uuid"):
            data = {"text": "my words", "theme": value}
            response = client.post(url(study, "themes-comment"), data, headers=HTMX)
            assert response.status_code == 422
            assert response["HX-Retarget"] == "#messages"
            assert "not (or no longer) one of this study" in response.text
            page = client.post(url(study, "themes-comment"), data)
            assert page.status_code == 422
            assert "not (or no longer) one of this study" in page.text
        assert not ReviewComment.objects.exists()

    def test_a_reply_to_a_thread_resolved_meanwhile_keeps_its_words(
        self, client_for, study, lead, coder_a, trust
    ):
        first = comment_add(member=member(study, lead), text="Rename?", theme=trust)
        comment_resolve(member=member(study, lead), comment=first)
        data = {"text": "my late reply", "theme": trust.uuid, "reply_to": first.uuid}
        for headers in (HTMX, {}):
            response = client_for(coder_a).post(url(study, "themes-comment"), data, headers=headers)
            assert response.status_code == 422
            assert "This thread is resolved" in response.text
            assert (
                f'id="comment-text-{trust.uuid}" name="text" rows="3" required>my late reply<'
                in (response.text)
            )
        assert ReviewComment.objects.count() == 1

    def test_a_viewer_posting_a_comment_gets_403(self, client_for, study, viewer):
        assert (
            client_for(viewer).post(url(study, "themes-comment"), {"text": "x"}).status_code == 403
        )
        assert not ReviewComment.objects.exists()

    def test_resolving_through_the_form(self, client_for, study, lead, coder_a, trust):
        first = comment_add(member=member(study, lead), text="Rename?", theme=trust)
        client = client_for(coder_a)
        resolve = url(study, "themes-comment-resolve", first.uuid)
        response = client.post(resolve, headers=HTMX)
        assert response.status_code == 200 and "No open comments." in response.text
        again = client.post(resolve, headers=HTMX)
        assert again.status_code == 422 and "already resolved by coder_a" in again.text
        assert client_for(lead).post(resolve).status_code == 422
        assert len([d for d in reviews() if d["change"] == "resolved"]) == 1

    def test_resolving_another_studys_comment_is_not_found(
        self, client_for, study, other_study, custodian, coder_a
    ):
        foreign = comment_add(member=member(other_study, custodian), text="there")
        response = client_for(coder_a).post(url(study, "themes-comment-resolve", foreign.uuid))
        assert response.status_code == 404
        foreign.refresh_from_db()
        assert foreign.resolved_at is None


class TestVerdictForm:
    def test_the_lead_approves_through_the_form(self, client_for, study, lead, trust):
        response = client_for(lead).post(
            url(study, "themes-verdict"), {"verdict": "approved", "theme": trust.uuid}
        )
        assert response.status_code == 302
        assert ReviewVerdict.objects.get().theme == trust
        page = client_for(lead).get(response["Location"]).text
        assert "Approved: “Trust”." in page

    def test_asking_for_changes_needs_a_note(self, client_for, study, lead, trust):
        response = client_for(lead).post(
            url(study, "themes-verdict"), {"verdict": "changes", "theme": trust.uuid, "note": ""}
        )
        assert response.status_code == 422
        assert "Say which changes “Trust” needs." in response.text
        assert not ReviewVerdict.objects.exists()
        bad = client_for(lead).post(url(study, "themes-verdict"), {"verdict": "yes"})
        assert bad.status_code == 422 and "Choose a verdict" in bad.text

    @pytest.mark.parametrize("persona", ["coder_a", "viewer"])
    def test_others_get_403(self, client_for, study, personas, persona, trust):
        response = client_for(personas[persona]).post(
            url(study, "themes-verdict"), {"verdict": "approved", "theme": trust.uuid}
        )
        assert response.status_code == 403
        assert not ReviewVerdict.objects.exists()


class TestTheIncludedBlock:
    def test_threads_for_takes_two_queries(
        self, study, lead, coder_a, trust, django_assert_num_queries
    ):
        for n in range(3):
            first = comment_add(member=member(study, lead), text=f"Q{n}", theme=trust)
            comment_add(member=member(study, coder_a), text=f"A{n}", reply_to=first)
        lead_m = member(study, lead)
        with django_assert_num_queries(2):
            found = threads_for(lead_m, trust)
            assert [[r.text for r in c.thread] for c in found] == [["A0"], ["A1"], ["A2"]]
            assert [c.author.get_username() for c in found] == ["lead"] * 3

    def test_the_block_renders_on_any_page(self, study, lead, coder_a, viewer, trust):
        comment_add(member=member(study, lead), text="On the map.")
        request = RequestFactory().get(f"/s/{study.slug}/themes/map/")
        request.user = coder_a
        for who, forms in [(coder_a, True), (viewer, False)]:
            request.user = who
            html = render_to_string(
                "themes/includes/comments.html",
                {"study": study, "member": member(study, who), "theme": None,
                 "comments": threads_for(member(study, who))},
                request=request,
            )  # fmt: skip
            assert 'id="comments-map"' in html and "On the map." in html
            assert (url(study, "themes-comment") in html) is forms
            if forms:
                assert f'name="next" value="/s/{study.slug}/themes/map/"' in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_thread_is_started_answered_and_resolved_in_place(
    page, study, lead, coder_a, trust
):
    from playwright.sync_api import expect

    from tests.test_browser_coding import log_in

    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    log_in(page, "coder_a")
    page.goto(url(study, "themes-review"))
    block = page.locator(f"#comments-{trust.uuid}")
    block.locator("summary", has_text="Add a comment").click()
    block.get_by_label("New comment on “Trust”").fill("Is this one theme or two?")
    block.get_by_role("button", name="Comment").click()
    expect(block.locator(".thread")).to_have_count(1)
    expect(page.locator("#messages")).to_contain_text("Commented on “Trust”.")
    block.locator("summary", has_text="Reply").click()
    block.get_by_label("Your reply").fill("Two, I think.")
    block.get_by_role("button", name="Reply").click()
    expect(block.locator(".comment.reply")).to_contain_text("Two, I think.")
    block.get_by_role("button", name="Resolve the thread").click()
    expect(block).to_contain_text("No open comments.")
    assert ReviewComment.objects.get(reply_to=None).resolved_by == coder_a
    assert page.url.endswith(url(study, "themes-review"))  # never left the page
    assert not errors, errors
