"""The benchmarks' generators write data the portal can show and check (issue 16).

Small sizes of the same generators the benches run at province scale: the registry with books
(`bench.reports_bench.generate`, which writes loans with `bench.upk_bench.generate`) and the forum
(`bench.forum_bench.generate_posts`). The database's own triggers and foreign keys stay on
(`checked=True`) and the deferred ones are fired before the checks.
"""

from __future__ import annotations

import random
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from bench import forum_bench, reports_bench, upk_bench
from tests.factories import UserFactory
from upk.ledger import books, engine
from upk.models import KSM, Allocation, Instalment, Loan, LoanStatus, MemberInstalment, Repayment, UpkSettings

pytestmark = pytest.mark.django_db

N_BKMS = 3


@pytest.fixture
def generated():
    counts = reports_bench.generate(N_BKMS, with_books=True, checked=True)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks (balanced entries, states) fire now
    return counts


def _sample(n: int = 12) -> list[Loan]:
    """Loans of every kind the generator writes: on time, in arrears, paid off, none paid yet."""
    loans = list(Loan.objects.order_by("pk"))
    picked = {loan.pk: loan for loan in loans[:: max(1, len(loans) // n)]}
    for status in (LoanStatus.PAID_OFF, LoanStatus.ACTIVE):
        loan = Loan.objects.filter(status=status).order_by("pk").first()
        assert loan is not None, f"the generator wrote no {status} loan"
        picked[loan.pk] = loan
    unpaid = Loan.objects.exclude(repayments__isnull=False).order_by("pk").first()
    assert unpaid is not None
    picked[unpaid.pk] = unpaid
    return list(picked.values())


def test_generate_books_pass_the_ledger_check(generated):
    assert generated["loans"] == N_BKMS * upk_bench.LOANS_PER_UPK
    out = StringIO()
    call_command("ledger_check", stdout=out)
    assert f"Buku {N_BKMS} UPK konsisten" in out.getvalue()


def test_generate_books_members_and_shares_follow_the_rules(generated):
    for loan in _sample():
        rules = UpkSettings.objects.get(upk_id=loan.upk_id)
        shares = list(loan.loan_members.select_related("member").order_by("pk"))
        assert len(shares) >= rules.min_members
        assert sum(int(s.amount) for s in shares) == int(loan.principal)
        assert all(s.member.ksm_id == loan.ksm_id and s.member.is_active for s in shares)
        assert all(int(s.amount) <= rules.ceiling_first_loan for s in shares)
        assert [e.to_status for e in loan.status_events.order_by("pk")] == (
            ["applied", "approved", "active"] + (["paid_off"] if loan.status == LoanStatus.PAID_OFF else [])
        )


def test_generate_books_schedules_and_member_instalments_are_the_engines(generated):
    # Every loan's schedule (due dates clamp at month ends as engine.add_months does), a sample's member split.
    by_loan = defaultdict(list)
    for i in Instalment.objects.order_by("loan_id", "number"):
        by_loan[i.loan_id].append((i.number, i.due_date, int(i.pokok), int(i.jasa), int(i.bop)))
    loans = list(Loan.objects.all())
    assert len(loans) == len(by_loan)
    for loan in loans:
        lines = engine.build_schedule(books.loan_terms(loan), loan.first_due_date)
        assert by_loan[loan.pk] == [(ln.number, ln.due_date, ln.pokok, ln.jasa, ln.bop) for ln in lines], loan.number
    assert any(loan.disbursed_on.day > 28 for loan in loans)  # the month-end case is covered
    for loan in _sample():
        lines = engine.build_schedule(books.loan_terms(loan), loan.first_due_date)
        stored = list(books.current_schedule(loan).instalments.order_by("number"))
        members = list(loan.loan_members.order_by("pk"))
        split = engine.split_members(lines, [int(m.amount) for m in members])
        for inst, row in zip(stored, split, strict=True):
            got = {
                mi.loan_member_id: (int(mi.pokok), int(mi.jasa), int(mi.bop))
                for mi in MemberInstalment.objects.filter(instalment=inst)
            }
            assert got == {m.pk: share for m, share in zip(members, row, strict=True)}


def test_generate_books_allocations_are_what_a_replay_gives(generated):
    for loan in _sample():
        replay = books.replay_loan(loan)
        numbers = {i.pk: i.number for i in replay.instalments}
        for repayment in Repayment.objects.filter(loan=loan):
            stored = sorted(
                (numbers[a.instalment_id], a.component, int(a.amount), a.settles)
                for a in Allocation.objects.filter(repayment=repayment, effective_to__isnull=True)
            )
            assert stored == sorted(
                (p.instalment, p.component, p.amount, p.settles) for p in replay.pieces[repayment.pk]
            )
        owed = engine.outstanding_total(replay.states)
        assert (loan.status == LoanStatus.PAID_OFF) == (owed == 0)


def test_generate_books_pages_show_generated_loans_ksms_and_bkms(generated, client):
    for loan in _sample(4):
        manager = UserFactory(role="upk_manager")
        manager.upk_units.set([loan.upk])
        client.force_login(manager)
        for url in (
            reverse("upk:loan_card", args=[loan.pk]),
            reverse("upk:ksm_detail", args=[loan.ksm_id]),
            reverse("upk:home", args=[loan.upk_id]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
        assert loan.number in client.get(reverse("upk:loan_card", args=[loan.pk])).content.decode()
    staff = UserFactory(role="staff_admin")
    client.force_login(staff)
    ksm = KSM.objects.order_by("pk").first()
    assert ksm is not None
    for url in (reverse("bkm:detail", args=[ksm.upk.bkm_id]), reverse("bkm:list"), reverse("home")):
        assert client.get(url).status_code == 200, url


def test_generate_posts_threads_show_and_match_the_services(client, member, staff_admin):
    from forum.markup import content_hash, render_markdown
    from forum.models import Post, Thread
    from tests.forum.conftest import ensure_reference_data

    ensure_reference_data()  # the categories, if a transactional test flushed them

    created = forum_bench.generate_posts(random.Random(1), posts=120, long_replies=30, per_thread=20, authors=[member])
    assert created == 120
    long_thread = Thread.objects.get(title=forum_bench.LONG_THREAD_TITLE)
    for thread in Thread.objects.all():
        posts = list(thread.posts.order_by("created_at", "id"))
        assert thread.reply_count == len(posts) - 1
        assert thread.last_post_at == posts[-1].created_at
        assert posts[0].author_id == thread.author_id
    assert long_thread.reply_count == 30
    for post in Post.objects.order_by("?")[:10]:
        assert post.body_html == render_markdown(post.body_source)
        assert post.content_hash == content_hash(post.body_source)
    client.force_login(staff_admin)  # reads every category
    for thread in Thread.objects.order_by("pk")[:3]:
        response = client.get(reverse("forum:thread", args=[thread.pk]))
        assert response.status_code == 200
        assert thread.title in response.content.decode()
    response = client.get(reverse("forum:search"), {"q": "pinjaman"})
    assert response.status_code == 200
