"""iCalendar (RFC 5545) export of meetings, written by hand.

Text values are escaped (backslash, semicolon, comma, newline), lines are
folded at 75 octets, times are written in UTC with a trailing Z so every
calendar client converts them to WIB (Asia/Jakarta) itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from .models import Meeting

PRODID = "-//Pemerintah Kota Palangka Raya//POKJA-PKP Forum BKM//ID"


def escape_text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\n", "\\n")


def fold(line: str) -> str:
    """RFC 5545 §3.1: fold lines longer than 75 octets without splitting a UTF-8 character."""
    out: list[str] = []
    current = b""
    limit = 75
    for ch in line:
        encoded = ch.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current.decode("utf-8"))
            current = b""
            limit = 74  # continuation lines start with one space
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_calendar(meetings: Iterable[Meeting], *, base_url: str) -> str:
    stamp = _utc(timezone.now())
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for meeting in meetings:
        ends_at = meeting.ends_at or meeting.starts_at + timedelta(hours=2)
        url = base_url.rstrip("/") + reverse("forum:meeting", args=[meeting.pk])
        location = meeting.place or meeting.online_link
        description = meeting.agenda
        if meeting.online_link:
            description += "\n\n" + meeting.online_link
        lines += [
            "BEGIN:VEVENT",
            f"UID:forum-meeting-{meeting.pk}@pokja-pkp.palangkaraya.go.id",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(meeting.starts_at)}",
            f"DTEND:{_utc(ends_at)}",
            f"SUMMARY:{escape_text(meeting.title)}",
            f"DESCRIPTION:{escape_text(description)}",
            f"LOCATION:{escape_text(location)}",
            f"URL:{url}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
