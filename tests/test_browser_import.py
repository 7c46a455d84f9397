"""In Chromium: upload two files, watch them being read, map the speakers of one, see both listed.
On the full stack a real worker reads the files (slowed down, so that progress can be seen)."""

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from studies.tests.factories import PASSWORD, make_participant
from transcripts.models import Transcript
from transcripts.tests.test_import import TEAMS_VTT, VERBATIM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reader(request):
    """Who reads the uploads: a real worker where PostgreSQL and Redis are configured, else
    this process, as on the embedded default."""
    if connection.vendor == "postgresql" and settings.REDIS_URL:
        request.getfixturevalue("full_stack")(PARSE_DELAY="1")
        return "worker"
    request.getfixturevalue("tasks_in_process")
    return "in-process"


def test_upload_watch_map_and_list(page, study, lead, reader):
    make_participant(study, "P1")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/s/{study.slug}/transcripts/")
    page.get_by_role("link", name="Import transcripts").click()
    page.wait_for_load_state()

    page.get_by_label("Transcript files").set_input_files(
        [
            {"name": "p1 typed.txt", "mimeType": "text/plain", "buffer": VERBATIM},
            {"name": "teams meeting.vtt", "mimeType": "text/vtt", "buffer": TEAMS_VTT},
        ]
    )
    expect(page.locator("[data-dropzone-list]")).to_contain_text("teams meeting.vtt")
    page.get_by_role("button", name="Upload and read").click()
    expect(page.locator("#messages")).to_contain_text("2 files received.")

    jobs = page.locator("#import-jobs")
    if reader == "worker":
        expect(jobs).to_contain_text(
            "Reading"
        )  # the page shows the worker at it, then updates itself
    expect(jobs.locator("tr", has_text="p1 typed.txt")).to_contain_text("Imported", timeout=30_000)
    row = jobs.locator("tr", has_text="teams meeting.vtt")
    expect(row).to_contain_text("Awaiting speaker mapping", timeout=30_000)
    row.get_by_role("link", name="Map speakers").click()

    expect(page.get_by_role("heading", name="Who is speaking?")).to_be_visible()
    page.get_by_label("Morwenna Trelawny").select_option(label="Interviewer")
    page.get_by_label("Jago Penhallow").select_option(label="P1")
    page.get_by_role("button", name="Import transcript").click()

    expect(page.get_by_role("heading", name="Transcripts")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Interview with P1", exact=True)).to_be_visible()
    expect(page.get_by_role("rowheader", name="Interview with P1 (2)")).to_be_visible()
    assert Transcript.objects.filter(study=study).count() == 2
