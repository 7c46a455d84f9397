"""The demo study's themes: six themes with subthemes in various states, definitions, the
holding area, a map with two snapshots, and a lead author's review comment."""

import pytest

from studies.demo import demo_build
from themes.models import MapLink, MapSnapshot, ReviewComment, Status, Theme, ThemeSetVersion

pytestmark = pytest.mark.django_db


def test_the_demo_has_six_themes_a_map_with_two_snapshots_and_a_comment(settings, tasks_in_process):
    settings.DEBUG = True
    study, _logins = demo_build()
    themes = Theme.objects.filter(study=study, holding=False, parent__isnull=True)
    assert themes.count() == 6
    assert Theme.objects.filter(study=study, parent__isnull=False).count() >= 2
    assert set(themes.values_list("status", flat=True)) == set(Status.values)
    discarded = themes.get(status=Status.DISCARDED)
    assert discarded.discard_reason
    assert all(theme.definition and theme.central_concept for theme in themes)
    assert Theme.objects.get(study=study, holding=True).codes.exists()
    assert MapSnapshot.objects.filter(study=study).count() == 2
    assert MapLink.objects.filter(study=study).count() == 2
    assert ReviewComment.objects.filter(study=study).count() == 1
    assert ThemeSetVersion.objects.filter(study=study).count() >= 5  # one per status change
    demo_build()  # again: nothing new
    assert Theme.objects.filter(study=study, holding=False, parent__isnull=True).count() == 6
