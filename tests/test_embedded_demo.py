"""`make run`'s embedded default: SQLite, tasks in process, demo data loaded.

The rest of the suite runs on PostgreSQL; this runs the real commands in a
child process on a fresh SQLite file, so the portable paths (the ledger's ORM
writes in `upk.writes`, the selectors' SQLite branches) stay working."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_migrate_and_seed_demo_on_sqlite_give_balanced_books(tmp_path):
    db = tmp_path / "demo.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pokja_portal.settings.base",
        "DATABASE_URL": f"sqlite:///{db}",
        "CELERY_BROKER_URL": "",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    for command in (["migrate", "-v0"], ["seed_demo", "--scale", "small"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
    assert "palangka2026" in done.stdout

    with sqlite3.connect(db) as conn:
        repayments, receipts = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT upk_id || receipt_number) FROM upk_repayment"
        ).fetchone()
        unbalanced = conn.execute(
            "SELECT COUNT(*) FROM (SELECT entry_id FROM upk_journalline GROUP BY entry_id"
            " HAVING SUM(debit) <> SUM(credit))"
        ).fetchone()[0]
        # Money allocated to each live repayment's current pieces equals the money received.
        mismatched = conn.execute(
            "SELECT COUNT(*) FROM upk_repayment r WHERE NOT r.is_reversed AND r.amount <> "
            "(SELECT COALESCE(SUM(a.amount), 0) FROM upk_allocation a"
            "  WHERE a.repayment_id = r.id AND a.effective_to IS NULL)"
        ).fetchone()[0]
    assert repayments > 100
    assert receipts == repayments
    assert unbalanced == 0
    assert mismatched == 0

    # Pages whose reads are written in SQL open on SQLite too: the staff dashboard (stored figures and
    # their digests are PostgreSQL's) and the BKM page (its history is one JSON query on PostgreSQL).
    check = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from django.urls import reverse\n"
        "from bkm.models import BKM\n"
        "from core.models import User\n"
        "c = Client(); c.force_login(User.objects.get(username='staf'))\n"
        "pk = BKM.objects.order_by('pk').first().pk\n"
        "for url in ['/', reverse('reports:dashboard_warnings')] + [\n"
        "    reverse(name, args=[pk]) for name in ('bkm:detail', 'bkm:records', 'bkm:history')\n"
        "]:\n"
        "    r = c.get(url, HTTP_HOST='127.0.0.1')\n"
        "    assert r.status_code == 200, (url, r.status_code)\n"
        "print('pages ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env={**env, "ALLOWED_HOSTS": "127.0.0.1"}, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0 and "pages ok" in done.stdout, done.stderr[-3000:]
