"""Date fields use the browser's date picker, which shows only an ISO 8601 value: a date written
the en-GB way ("03/03/2026") would show as an empty field and be lost on the next save."""

from datetime import date

from studies.forms import AuditFilterForm, DateInput, StudyForm
from studies.forms.vault import ConsentForm


def test_a_date_is_written_as_iso_8601_whatever_the_locale(settings):
    settings.LANGUAGE_CODE = "en-gb"
    assert 'value="2026-03-03"' in DateInput().render("held_on", date(2026, 3, 3))


def test_the_forms_with_dates_use_it():
    for form in (StudyForm(), AuditFilterForm(), ConsentForm()):
        dates = [f for f in form.fields.values() if getattr(f.widget, "input_type", "") == "date"]
        assert dates and all(isinstance(f.widget, DateInput) for f in dates)
