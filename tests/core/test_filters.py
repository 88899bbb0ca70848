"""core.filters: a year filter is bounded before the query (issue 13); selects drawn in Python are the
selects Django draws (issue 12); the `display` filter is `get_FOO_display`."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html
from django.urls import reverse
from django.utils import translation

from bkm.filters import ProposalFilterSet
from bkm.models import FundingSource, Proposal, ProposalStatus
from core.filters import QuickSelect, filterset
from forum.filters import TrainingFilterSet
from forum.models import Training
from tests.factories import OPDFactory, UserFactory


def assertHTMLEqual(a: str, b: str) -> None:  # noqa: N802 - as Django's SimpleTestCase names it
    assert parse_html(a) == parse_html(b), (a, b)


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["-1", "0", "1999", "2101", "99999", "99999999999999999999"])
def test_year_filter_refuses_years_outside_the_portal_range(year):
    for cls, qs, name in (
        (TrainingFilterSet, Training.objects.all(), "tahun"),  # a `__year` lookup on a date: date(-1, 1, 1) was a 500
        (ProposalFilterSet, Proposal.objects.all(), "year"),
    ):
        fs = filterset(cls, {name: year}, qs)
        assert list(fs.qs) == []  # the unfiltered (here empty) list, never an error
        assert name in fs.form.errors


@pytest.mark.django_db
def test_training_list_with_year_minus_one_answers_with_the_field_error(client):
    client.force_login(UserFactory(role="staff_admin", username="staf_pelatihan"))
    response = client.get(reverse("forum:trainings"), {"tahun": "-1"})
    assert response.status_code == 200
    assert client.get(reverse("forum:trainings"), {"tahun": "2026"}).status_code == 200


def _django_select(widget: forms.Select, name: str, value, attrs) -> str:
    """The same select drawn by Django's own widget templates."""
    slow = forms.Select(attrs=widget.attrs)
    slow.choices = widget.choices
    return slow.render(name, value, attrs)


def _drawn_by_django(bf) -> str:
    """The bound field drawn with Django's own Select instead (same attributes, errors included)."""
    quick = bf.field.widget
    bf.field.widget = forms.Select(attrs=quick.attrs)
    bf.field.widget.choices = quick.choices
    try:
        return str(bf)
    finally:
        bf.field.widget = quick


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        None,
        {"status": "disetujui", "year": "2025"},
        {"opd": "999999", "funding_source": "apbd"},  # an option that does not exist: none chosen
        "the OPD",
    ],
)
def test_filter_selects_are_drawn_as_django_draws_them(data):
    opd = OPDFactory(name='Dinas "PU" & <Tata> Ruang', acronym="")
    if data == "the OPD":
        data = {"opd": str(opd.pk)}
    fs = filterset(ProposalFilterSet, data, Proposal.objects.all())
    selects = [bf for bf in fs.form if isinstance(bf.field.widget, forms.Select)]
    assert {bf.name for bf in selects} == {"status", "opd", "kecamatan", "funding_source"}
    for bf in selects:
        assert isinstance(bf.field.widget, QuickSelect)
        assertHTMLEqual(str(bf), _drawn_by_django(bf))
    assert "Dinas &quot;PU&quot; &amp; &lt;Tata&gt; Ruang" in str(fs.form["opd"])


def test_a_grouped_select_is_left_to_django():
    widget = QuickSelect(choices=[("", "Semua"), ("Grup", [("a", "A"), ("b", "B")])])
    assertHTMLEqual(widget.render("x", "b"), _django_select(widget, "x", "b", None))
    assert "<optgroup" in widget.render("x", "b")


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_display_filter_is_get_foo_display(language):
    from core.templatetags.portal import display

    with translation.override(language):
        for status in [*ProposalStatus.values, "no-such-status"]:
            proposal = Proposal(status=status, funding_source=FundingSource.APBD)
            assert display(proposal, "status") == proposal.get_status_display()
            assert display(proposal, "funding_source") == proposal.get_funding_source_display()
