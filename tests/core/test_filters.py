"""core.filters: a year filter is bounded before the query (issue 13)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bkm.filters import ProposalFilterSet
from bkm.models import Proposal
from core.filters import filterset
from forum.filters import TrainingFilterSet
from forum.models import Training
from tests.factories import UserFactory


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
