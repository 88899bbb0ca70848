"""Early-warning providers reuse the domains' rules and read a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bkm.selectors import WarningCode, bkm_warnings
from reports.warnings import bkm_board_short, bkm_board_term, collect_warnings
from tests.factories import BKMFactory, BoardMemberFactory


def _bkm_with_board(*, n: int, term_end: datetime.date, **bkm_fields):
    bkm = BKMFactory(**bkm_fields)
    for i in range(n):
        BoardMemberFactory(bkm=bkm, name=f"Pengurus {i}", gender="P" if i % 2 else "L", term_end=term_end)
    return bkm


@pytest.fixture
def boards(db, settings):
    settings.BKM_BOARD_SIZE_MIN, settings.BKM_BOARD_SIZE_MAX, settings.BKM_TERM_WARNING_DAYS = 9, 13, 90
    today = datetime.date.today()
    far = today + datetime.timedelta(days=400)
    return {
        "expired": _bkm_with_board(n=9, term_end=today - datetime.timedelta(days=10)),
        "ending": _bkm_with_board(n=9, term_end=today + datetime.timedelta(days=60)),
        "small": _bkm_with_board(n=4, term_end=far),
        "empty": BKMFactory(),
        "fine": _bkm_with_board(n=10, term_end=far),
        # Frozen BKMs are not watched.
        "frozen": _bkm_with_board(n=2, term_end=today, status="dibekukan"),
    }


@pytest.mark.django_db
def test_bkm_board_term_reports_expired_and_ending_terms_with_registry_messages(boards):
    warnings = {w.subject: w for w in bkm_board_term()}
    assert set(warnings) == {boards["expired"].name, boards["ending"].name}
    for name, code, severity in [
        ("expired", WarningCode.TERM_EXPIRED, "danger"),
        ("ending", WarningCode.TERM_ENDING, "warning"),
    ]:
        bkm = boards[name]
        (expected,) = [w for w in bkm_warnings(bkm) if w.code == code]
        w = warnings[bkm.name]
        assert w.reason == expected.message
        assert w.severity == severity
        assert w.key.startswith(f"bkm-term:{bkm.pk}:{code}:")
        assert w.url == reverse("bkm:detail", args=[bkm.pk])


@pytest.mark.django_db
def test_bkm_board_short_reports_small_and_empty_boards_of_active_bkms(boards):
    warnings = {w.subject: w for w in bkm_board_short()}
    assert set(warnings) == {boards["small"].name, boards["empty"].name}
    assert warnings[boards["empty"].name].severity == "danger"
    assert warnings[boards["small"].name].reason == "Jumlah pengurus 4, kurang dari minimal 9."


@pytest.mark.django_db
def test_bkm_board_term_follows_warning_window_setting(boards, settings):
    settings.BKM_TERM_WARNING_DAYS = 30
    assert {w.subject for w in bkm_board_term()} == {boards["expired"].name}


@pytest.mark.django_db
def test_bkm_board_providers_read_fixed_number_of_queries(boards):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            list(bkm_board_term())
            list(bkm_board_short())
        return len(ctx.captured_queries)

    before = count()
    for _ in range(4):
        BKMFactory()
    assert count() == before


@pytest.mark.django_db
def test_collect_warnings_includes_board_warnings(boards):
    keys = [item.warning.key for item in collect_warnings()]
    assert any(k.startswith(f"bkm-term:{boards['expired'].pk}:") for k in keys)
    assert f"bkm-board-short:{boards['small'].pk}:board_small" in keys


def test_months_before_clamps_to_month_end():
    from reports.warnings import months_before

    moment = datetime.datetime(2026, 5, 31, 9, 30, tzinfo=datetime.UTC)
    assert months_before(moment, 3) == datetime.datetime(2026, 2, 28, 9, 30, tzinfo=datetime.UTC)
    assert months_before(moment, 5) == datetime.datetime(2025, 12, 31, 9, 30, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_bkm_forum_silent_warns_of_bkms_without_recent_posts(settings):
    from django.utils import timezone

    from bkm.models import BKM
    from forum.models import Post
    from reports.warnings import bkm_forum_silent
    from tests.factories import UserFactory
    from tests.forum.factories import PostFactory, ThreadFactory

    settings.REPORTS_FORUM_SILENT_MONTHS = 3
    long_ago = timezone.now() - datetime.timedelta(days=400)
    active, quiet, never, hidden_only, young = (BKMFactory() for _ in range(5))
    BKM.objects.exclude(pk=young.pk).update(created_at=long_ago)
    users = {b.pk: UserFactory(role="bkm_member", bkm=b) for b in (active, quiet, hidden_only)}
    thread = ThreadFactory(author=users[active.pk])
    PostFactory(thread=thread, author=users[active.pk])
    old = PostFactory(thread=thread, author=users[quiet.pk])
    Post.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=120))
    PostFactory(thread=thread, author=users[hidden_only.pk], is_hidden=True)

    warnings = {w.subject: w for w in bkm_forum_silent()}
    assert set(warnings) == {quiet.name, never.name, hidden_only.name}
    assert "sejak" in warnings[quiet.name].reason and warnings[quiet.name].severity == "warning"
    assert "belum pernah" in warnings[never.name].reason
    assert warnings[quiet.name].key.startswith(f"bkm-forum-silent:{quiet.pk}:")
    settings.REPORTS_FORUM_SILENT_MONTHS = 6
    assert quiet.name not in {w.subject for w in bkm_forum_silent()}


@pytest.mark.django_db
def test_warning_summary_counts_equal_the_full_list(client, boards, staff_admin, monkeypatch):
    """The dashboard counts the BKM kinds in SQL and builds only the shown rows: its counts (total, open, per
    kind) must be the full list's, acknowledged (current and stale) warnings included."""
    from reports import views
    from reports.models import WarningAcknowledgement

    for i in range(4):
        BKMFactory(name=f"BKM Tak Lengkap {i}", address="", phone="")
    full = collect_warnings()
    by_kind = {}
    for item in full:
        by_kind.setdefault(item.warning.kind, []).append(item.warning)
    assert {"bkm-no-coordinator", "bkm-incomplete", "bkm-board-short"} <= set(by_kind)
    current = [by_kind["bkm-no-coordinator"][0], by_kind["bkm-board-short"][-1]]
    for w in current:
        WarningAcknowledgement.objects.create(
            key=w.key, subject=w.subject, note="ditangani", acknowledged_by=staff_admin
        )
    stale = by_kind["bkm-incomplete"][0]
    WarningAcknowledgement.objects.create(
        key=f"bkm-incomplete:{stale.subject_id}:99", subject=stale.subject, note="lama", acknowledged_by=staff_admin
    )
    monkeypatch.setattr(views, "WARNINGS_SHOWN", 2)
    client.force_login(staff_admin)
    dashboard = client.get(reverse("reports:dashboard_warnings")).context
    listed = client.get(reverse("reports:warning_list")).context
    assert [(g.kind, g.count, g.open) for g in dashboard["warning_groups"]] == [
        (g.kind, len(g.items), g.open_count) for g in listed["groups"]
    ]
    assert dashboard["warnings_total"] == listed["total"] == len(full)
    assert dashboard["warnings_open"] == listed["open_total"] == len(full) - len(current)
    assert [i.warning.key for i in dashboard["warnings"]] == [i.warning.key for i in collect_warnings()[:2]]
