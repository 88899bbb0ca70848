"""Report settings with their defaults; each can be overridden in Django settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Celery limits of one report job (seconds). The hard limit kills the job;
    # the watchdog fails runs still "running" past it (plus a grace period).
    "REPORTS_SOFT_TIME_LIMIT": 15 * 60,
    "REPORTS_TIME_LIMIT": 16 * 60,
    "REPORTS_WATCHDOG_GRACE": 60,
    # Retries on transient errors (database or broker connection), with back-off.
    "REPORTS_MAX_RETRIES": 5,
    "REPORTS_RETRY_BACKOFF": 5,
    "REPORTS_RETRY_BACKOFF_MAX": 300,
    # Starts of one run (retries + redeliveries after a crash) before it is given up.
    "REPORTS_MAX_ATTEMPTS": 8,
    # A run no worker picked up for this long is failed by the watchdog.
    "REPORTS_QUEUED_TIMEOUT": 6 * 60 * 60,
    # Early warning: a proposal in one status for more than this many days.
    "REPORTS_PROPOSAL_STUCK_DAYS": 60,
    # Early warning: an active BKM whose members wrote nothing in the forum for this many months.
    "REPORTS_FORUM_SILENT_MONTHS": 3,
    # Early warning: last month's UPK package not submitted by this day of the month.
    "REPORTS_UPK_PACKAGE_DUE_DAY": 10,
    # The dashboard keeps what the registry, forum and proposal warnings found (reports.kept) until a write
    # to their inputs, the next day, or this many seconds (two of those rules read the clock: a proposal
    # becomes stuck, a BKM silent, at a time of day no write marks).
    "REPORTS_WARNINGS_KEPT_SECONDS": 5 * 60,
    # A report's long table (reports.pdf.LongTable) is laid out this many rows at a time: WeasyPrint holds
    # one part's pages (~25 landscape pages of proposals, ~100 MiB) instead of the whole document's.
    "REPORTS_PDF_ROWS_PER_PART": 400,
    # The same for the Profil book, in BKM profiles (two to three pages each, ~2.7 MiB a page laid out).
    "REPORTS_PDF_PROFILES_PER_PART": 30,
    # A Profil book of more BKMs than this is asked per kecamatan: ~2 pages a BKM, so the whole province
    # (1,000 BKMs, 2,060 pages) took 853 s on a loaded host, close to REPORTS_SOFT_TIME_LIMIT; 300 BKMs
    # is ~600 pages, a few minutes at most.
    "REPORTS_PROFIL_BOOK_MAX_BKMS": 300,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
