"""List pages keep a constant number of queries as the portfolio grows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from upk.queries import today

from .factories_ui import fund, make_portfolio

# Same bound for 5 and for 40 loans: no query per row. The base layout itself
# costs a few (session, user, the forum's unread count in the navigation).
LAYOUT_QUERIES = 3
# The UPK's early warnings on its home page (reports_tags.subject_warnings, the dashboard's rule for
# this UPK only): the unit, PAR at four month ends (portfolio_summary_many: 4 queries each), the
# package check (unit, books, packages) and the acknowledgements; fixed, whatever the portfolio.
WARNING_QUERIES = 1 + 4 * 4 + 3 + 1
MAX_QUERIES = {
    "upk:home": 18 + WARNING_QUERIES + LAYOUT_QUERIES,
    "upk:ksm_list": 12 + LAYOUT_QUERIES,
    "upk:loan_list": 14 + LAYOUT_QUERIES,
    "upk:collection_sheet": 13 + LAYOUT_QUERIES,  # one is the loan members for the optional split
    "upk:list": 12 + LAYOUT_QUERIES,
}


@pytest.mark.parametrize("n_loans", [5, 40])
@pytest.mark.parametrize("name", sorted(MAX_QUERIES))
def test_list_pages_query_count_is_flat(client, manager, upk, django_assert_max_num_queries, n_loans, name, settings):
    settings.REPORTS_UPK_PACKAGE_DUE_DAY = 0  # the package check at its dearest: always past the due day
    fund(upk, manager)
    make_portfolio(upk, manager, n_loans, today=today())
    client.force_login(manager)
    url = reverse(name) if name == "upk:list" else reverse(name, args=[upk.pk])
    client.get(url)  # warm the session/user caches the same way for both sizes
    with django_assert_max_num_queries(MAX_QUERIES[name]):
        response = client.get(url)
    assert response.status_code == 200
