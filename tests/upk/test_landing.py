"""The UPK manager's landing page (issue 10: managers landed on an empty "Selamat datang")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from upk.queries import today

from .factories_ui import fund, make_portfolio


def test_manager_lands_on_dues_arrears_and_the_collection_sheet(client, manager, upk):
    fund(upk, manager)
    late = make_portfolio(upk, manager, 2, today=today(), months_ago=6, paid_up_to=1)
    client.force_login(manager)
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert 'data-testid="landing-upk"' in page
    sheet = reverse("upk:collection_sheet", args=[upk.pk]) + f"?tanggal={today():%Y-%m-%d}"
    assert f'href="{sheet}"' in page and 'data-testid="start-collection-sheet"' in page
    arrears = re.search(r'data-testid="arrears".*?</table>', page, re.S).group(0)
    for loan in late:
        assert f'data-loan="{loan.number}"' in arrears
    day = response.context["panels"][0][1]["days"][0]
    # Arrears are owed today, so today's dues are at least the arrears; the week's at least today's.
    assert day.due_week_total >= day.due_today_total >= day.arrears.total > 0
    assert 'data-testid="due-today"' in page and 'data-testid="due-week-total"' in page


def test_manager_without_arrears_sees_empty_lists_not_an_error(client, manager, upk):
    client.force_login(manager)
    page = client.get(reverse("home")).content.decode()
    assert "Tidak ada tunggakan." in page and "Tidak ada tagihan jatuh tempo hari ini." in page


@pytest.mark.parametrize("n_loans", [3, 30])
def test_manager_landing_query_count_is_flat(client, manager, upk, django_assert_max_num_queries, n_loans):
    fund(upk, manager)
    make_portfolio(upk, manager, n_loans, today=today(), months_ago=5, paid_up_to=1)
    client.force_login(manager)
    client.get(reverse("home"))
    # Layout (3), the manager's UPK (1), today's and the week's dues (3 + 3),
    # the arrears worklist (5), the forum panel (4), user and session: 21 measured.
    with django_assert_max_num_queries(22):
        assert client.get(reverse("home")).status_code == 200


def test_bkm_page_links_to_its_upk_books_for_those_allowed(client, manager, upk, bkm, other_bkm):
    from tests.factories import UserFactory

    books = reverse("upk:home", args=[upk.pk])
    member = UserFactory(role="bkm_member", bkm=bkm, username="anggota_upk")
    for user in (manager, member):
        client.force_login(user)
        page = client.get(reverse("bkm:detail", args=[bkm.pk])).content.decode()
        assert f'href="{books}"' in page
        assert client.get(books).status_code == 200
    # A member of another BKM cannot open this BKM's page, nor its books.
    stranger = UserFactory(role="bkm_member", bkm=other_bkm, username="anggota_lain")
    client.force_login(stranger)
    assert client.get(reverse("bkm:detail", args=[bkm.pk])).status_code in (403, 404)
    assert client.get(books).status_code in (403, 404)
    page = client.get(reverse("bkm:detail", args=[other_bkm.pk])).content.decode()
    assert f'href="{books}"' not in page
