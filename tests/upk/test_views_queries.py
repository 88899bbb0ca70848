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
# this UPK only): the unit, PAR at four month ends (stored figures: one read and the rules in force),
# the package check (unit, books, packages) and the acknowledgements; fixed, whatever the portfolio.
WARNING_QUERIES = 1 + 2 + 3 + 1
MAX_QUERIES = {
    # The unit, the rules in force (read once for the summary and the worklist), today's stored
    # figures, the week's dues (2), the arrears worklist (positions in one statement, the shown KSMs
    # with their chairs' phones) and the managed UPKs.
    "upk:home": 8 + WARNING_QUERIES + LAYOUT_QUERIES,
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


# One loan's card and the books: bounded whatever the loan's history and the UPK's portfolio (the
# loan card reads its own rows — schedules, repayments with their current allocations and member
# parts, status events, its position in one statement, its members — and reads the reschedule,
# write-off and recovery lists only when an EXISTS says they are not empty).
LOAN_AND_BOOK_QUERIES = {
    "upk:loan_card": 12 + LAYOUT_QUERIES,
    "upk:cash_book": 8 + LAYOUT_QUERIES,  # one is the role accounts, per process once committed
    "upk:trial_balance": 6 + LAYOUT_QUERIES,
    "upk:neraca": 6 + LAYOUT_QUERIES,
}


@pytest.mark.parametrize("n_repayments", [1, 6])
@pytest.mark.parametrize("name", sorted(LOAN_AND_BOOK_QUERIES))
def test_loan_card_and_books_query_count_is_flat(
    client, manager, upk, django_assert_max_num_queries, n_repayments, name
):
    from upk import services

    fund(upk, manager)
    loans = make_portfolio(upk, manager, 2 + 4 * n_repayments, today=today())
    loan = loans[0]
    for i in range(n_repayments):
        services.repayments.repayment_record(
            loan=loan, amount=5_000, paid_on=today(), actor=manager, idempotency_key=f"q-{n_repayments}-{i}"
        )
    client.force_login(manager)
    url = reverse(name, args=[loan.pk if name == "upk:loan_card" else upk.pk])
    client.get(url)
    with django_assert_max_num_queries(LOAN_AND_BOOK_QUERIES[name]):
        response = client.get(url)
    assert response.status_code == 200
