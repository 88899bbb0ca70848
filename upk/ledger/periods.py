"""Period rules: which dates a UPK may post on (after its last closed month, not after today plus the days ahead it allows)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import LedgerError, month_label

LAST_CLOSED_SQL = (
    "SELECT MAX(v) FROM ("
    " SELECT year * 100 + month AS v FROM upk_accountingperiod WHERE upk_id = {upk} AND is_closed"
    " UNION ALL SELECT year * 100 + 12 AS v FROM upk_yearendclosing WHERE upk_id = {upk}) t"
)


DAYS_AHEAD_SQL = "SELECT posting_days_ahead FROM upk_upksettings WHERE upk_id = {upk}"


def closed_from(value: Any) -> tuple[int, int] | None:
    return None if value is None else (int(value) // 100, int(value) % 100)


@dataclass(frozen=True)
class PostingWindow:
    """The dates a UPK may post on: after its last closed month, and not
    after today (WIB) plus the days ahead its settings allow (0 = today)."""

    closed: tuple[int, int] | None
    days_ahead: int = 0

    def check(self, on: date, what: str | None = None) -> None:
        refuse_if_closed(self.closed, on, what)
        refuse_if_future(on, self.days_ahead, what)


def window_from(last_closed_ym: Any, days_ahead: Any) -> PostingWindow:
    return PostingWindow(closed_from(last_closed_ym), int(days_ahead or 0))


def posting_window_of(upk_id: int) -> PostingWindow:
    """The UPK's posting window, one query (closed periods, closed years, settings)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ({LAST_CLOSED_SQL.format(upk='%s')}), ({DAYS_AHEAD_SQL.format(upk='%s')})",
            [upk_id, upk_id, upk_id],
        )
        last, ahead = cursor.fetchone()
    return window_from(last, ahead)


def last_closed(upk_id: int) -> tuple[int, int] | None:
    """The last closed (year, month): closed periods and closed years, one query."""
    with connection.cursor() as cursor:
        cursor.execute(LAST_CLOSED_SQL.format(upk="%s"), [upk_id, upk_id])
        value = cursor.fetchone()[0]
    return closed_from(value)


def latest_posting_date(days_ahead: int = 0) -> date:
    """The last date a posting may carry: today in WIB (the project's time
    zone), plus the days ahead a UPK's settings allow."""
    return timezone.localdate() + timedelta(days=days_ahead)


def refuse_if_future(on: date, days_ahead: int, what: str | None = None) -> None:
    latest = latest_posting_date(days_ahead)
    if on <= latest:
        return
    what = what or _("transaksi")
    if days_ahead:
        raise LedgerError(
            _("Tanggal %(date)s terlalu jauh ke depan; %(what)s paling lambat bertanggal %(latest)s.")
            % {"date": on.strftime("%d-%m-%Y"), "what": what, "latest": latest.strftime("%d-%m-%Y")}
        )
    raise LedgerError(
        _("Tanggal %(date)s belum tiba (hari ini %(today)s); %(what)s bertanggal masa depan tidak dapat dicatat.")
        % {"date": on.strftime("%d-%m-%Y"), "today": latest.strftime("%d-%m-%Y"), "what": what}
    )


def refuse_if_closed(closed: tuple[int, int] | None, on: date, what: str | None = None) -> None:
    if closed and (on.year, on.month) <= closed:
        what = what or _("transaksi")
        if (on.year, on.month) == closed:
            raise LedgerError(
                _("Bulan %(month)s sudah ditutup; %(what)s tidak dapat dicatat.")
                % {"month": month_label(on.year, on.month), "what": what}
            )
        raise LedgerError(
            _("Bulan %(month)s sudah ditutup (buku ditutup sampai %(last)s); %(what)s tidak dapat dicatat.")
            % {"month": month_label(on.year, on.month), "last": month_label(*closed), "what": what}
        )


def check_open(upk_id: int, on: date, what: str | None = None) -> None:
    """Refuse a posting dated in a closed month (closed months are a prefix of
    time) or after today (plus the UPK's allowed days ahead)."""
    posting_window_of(upk_id).check(on, what)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
