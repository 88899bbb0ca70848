"""The arrears worklist (issue 10: the UPK home said "Tidak ada tunggakan" while loans were Macet)."""

from __future__ import annotations

import re

from django.urls import reverse

from upk import selectors
from upk.queries import today

from .factories_ui import fund, make_portfolio


def test_arrears_worklist_lists_loans_in_arrears_worst_first(manager, upk):
    fund(upk, manager)
    late = make_portfolio(upk, manager, 2, today=today(), months_ago=11, paid_up_to=1)
    paid = make_portfolio(upk, manager, 1, today=today(), months_ago=0, paid_up_to=None)
    worklist = selectors.arrears_worklist(upk=upk, as_of=today())
    numbers = [row.position.number for row in worklist.rows]
    assert sorted(numbers) == sorted(loan.number for loan in late)
    assert paid[0].number not in numbers
    assert worklist.count == 2 and worklist.total == sum(r.position.arrears_amount for r in worklist.rows) > 0
    assert {row.kol_name for row in worklist.rows} == {"Macet"}  # 9+ instalments behind under the default rules
    assert all(row.ksm_name for row in worklist.rows)


def test_arrears_worklist_limit_keeps_count_and_total(manager, upk):
    fund(upk, manager)
    make_portfolio(upk, manager, 3, today=today(), months_ago=5, paid_up_to=1)
    whole = selectors.arrears_worklist(upk=upk, as_of=today())
    cut = selectors.arrears_worklist(upk=upk, as_of=today(), limit=1)
    assert len(cut.rows) == 1 and (cut.count, cut.total) == (whole.count, whole.total) == (3, whole.total)


def test_upk_home_shows_the_arrears_worklist(client, manager, upk):
    fund(upk, manager)
    loans = make_portfolio(upk, manager, 2, today=today(), months_ago=11, paid_up_to=1)
    client.force_login(manager)
    page = client.get(reverse("upk:home", args=[upk.pk])).content.decode()
    table = re.search(r'data-testid="arrears".*?</table>', page, re.S).group(0)
    assert "Tidak ada tunggakan" not in table
    for loan in loans:
        assert f'data-loan="{loan.number}"' in table
    assert "Macet" in table


def test_arrears_worklist_with_the_rules_given_reads_them_not(manager, upk, django_assert_num_queries):
    # The UPK home reads the rules once for its summary and hands them on: the same rows, one query less.
    fund(upk, manager)
    make_portfolio(upk, manager, 2, today=today(), months_ago=11, paid_up_to=1)
    read = selectors.arrears_worklist(upk=upk, as_of=today())
    rules = selectors.rules_on(upk_ids=[upk.pk], as_of=today())
    with django_assert_num_queries(2):  # the positions, the shown KSMs
        given = selectors.arrears_worklist(upk=upk, as_of=today(), rules=rules[upk.pk])
    assert given == read
