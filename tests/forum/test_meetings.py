from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from bkm.models import OPD
from forum import services
from forum.ical import escape_text, fold, meeting_calendar
from forum.models import FollowUpStatus, Meeting, MeetingRSVP
from tests.forum.factories import MeetingFactory

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")


def test_meeting_create_with_thread_and_invites(staff_admin, bkm, announcements):
    meeting = services.meeting_create(
        user=staff_admin,
        title="Rakor Forum BKM",
        agenda="Laporan tiap BKM",
        starts_at=datetime(2026, 12, 10, 9, 0, tzinfo=WIB),
        place="Aula Bappedalitbang",
        invited_bkms=[bkm],
        thread_category=announcements,
    )
    assert meeting.thread is not None and meeting.thread.category == announcements
    assert list(meeting.invited_bkms.all()) == [bkm]


def test_meeting_create_requires_place_or_link_and_staff(staff_admin, member):
    start = timezone.now() + timedelta(days=3)
    with pytest.raises(ValidationError):
        services.meeting_create(user=staff_admin, title="Tanpa tempat", agenda="x", starts_at=start)
    with pytest.raises(PermissionDenied):
        services.meeting_create(user=member, title="Bukan staf", agenda="x", starts_at=start, place="Balai")
    assert not Meeting.objects.exists()


def test_meeting_visibility_follows_invites(member, far_member, bkm, staff_viewer):
    from forum.selectors import meetings_for

    open_meeting = MeetingFactory()
    invited = MeetingFactory()
    invited.invited_bkms.set([bkm])
    assert set(meetings_for(user=member)) == {open_meeting, invited}
    assert set(meetings_for(user=far_member)) == {open_meeting}
    assert set(meetings_for(user=staff_viewer)) == {open_meeting, invited}


def test_meeting_rsvp_and_attendance(member, staff_admin):
    meeting = MeetingFactory()
    services.meeting_rsvp(user=member, meeting=meeting, response="yes")
    services.meeting_rsvp(user=member, meeting=meeting, response="maybe")
    assert MeetingRSVP.objects.get(meeting=meeting, user=member).response == "maybe"
    services.meeting_record_attendance(user=staff_admin, meeting=meeting, attendee_ids=[member.pk])
    assert MeetingRSVP.objects.get(meeting=meeting, user=member).attended is True
    with pytest.raises(PermissionDenied):
        services.meeting_record_attendance(user=member, meeting=meeting, attendee_ids=[member.pk])


def test_meeting_rsvp_closed_after_start(member):
    meeting = MeetingFactory(starts_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ValidationError):
        services.meeting_rsvp(user=member, meeting=meeting, response="yes")


def test_follow_up_assignment_and_transitions(staff_admin, coordinator, member, bkm):
    meeting = MeetingFactory()
    decision = services.meeting_add_decision(user=staff_admin, meeting=meeting, text="Bawa usulan ke OPD")
    opd = OPD.objects.create(name="Dinas Perumahan dan Kawasan Permukiman", acronym="Disperkim")
    with pytest.raises(ValidationError):
        services.follow_up_create(
            user=staff_admin,
            decision=decision,
            description="Dua penanggung jawab",
            due_date=date(2026, 12, 31),
            assignee_bkm=bkm,
            assignee_opd=opd,
        )
    to_opd = services.follow_up_create(
        user=staff_admin, decision=decision, description="Kajian teknis", due_date=date(2026, 12, 31), assignee_opd=opd
    )
    to_bkm = services.follow_up_create(
        user=staff_admin, decision=decision, description="Unggah laporan", due_date=date(2026, 12, 20), assignee_bkm=bkm
    )
    services.follow_up_transition(user=coordinator, follow_up=to_bkm, status=FollowUpStatus.IN_PROGRESS)
    services.follow_up_transition(user=coordinator, follow_up=to_bkm, status=FollowUpStatus.DONE)
    with pytest.raises(ValidationError):
        services.follow_up_transition(user=staff_admin, follow_up=to_bkm, status=FollowUpStatus.OPEN)
    with pytest.raises(PermissionDenied):
        services.follow_up_transition(user=member, follow_up=to_opd, status=FollowUpStatus.DONE)
    to_opd.refresh_from_db()
    assert to_opd.status == FollowUpStatus.OPEN


def test_ical_escaping_and_folding():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line)
    for part in folded.split("\r\n"):
        assert len(part.encode()) <= 75
    assert folded.replace("\r\n ", "") == line


def test_meeting_calendar_is_valid_rfc5545(staff_admin):
    meeting = MeetingFactory(
        title="Rapat; koordinasi, BKM",
        agenda="Baris satu\nBaris dua",
        starts_at=datetime(2026, 12, 10, 9, 0, tzinfo=WIB),
        place="Aula\r\nEND:VCALENDAR",
    )
    ics = meeting_calendar([meeting], base_url="https://portal.example")
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "DTSTART:20261210T020000Z" in lines  # 09:00 WIB = 02:00 UTC
    assert "SUMMARY:Rapat\\; koordinasi\\, BKM" in lines
    assert lines.count("END:VCALENDAR") == 1  # injected line break is escaped
    assert all(len(line.encode()) <= 75 for line in lines)


def test_meeting_pages_and_ics_views(client, member, far_member, bkm, staff_admin):
    meeting = MeetingFactory()
    meeting.invited_bkms.set([bkm])
    client.force_login(member)
    assert client.get(reverse("forum:meeting", args=[meeting.pk])).status_code == 200
    response = client.get(reverse("forum:meeting_ics", args=[meeting.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    client.post(reverse("forum:meeting_rsvp", args=[meeting.pk]), {"response": "yes"})
    assert MeetingRSVP.objects.filter(user=member, response="yes").exists()
    client.force_login(far_member)
    assert client.get(reverse("forum:meeting", args=[meeting.pk])).status_code == 404
    assert meeting.title not in client.get(reverse("forum:meetings_ics")).content.decode()
    assert meeting.title not in client.get(reverse("forum:meetings")).content.decode()
    client.force_login(staff_admin)
    client.post(reverse("forum:meeting_minutes", args=[meeting.pk]), {"minutes": "Notulen rapat"})
    client.post(reverse("forum:meeting_decision_add", args=[meeting.pk]), {"text": "Keputusan satu"})
    meeting.refresh_from_db()
    assert meeting.minutes == "Notulen rapat" and meeting.decisions.count() == 1


def test_meeting_create_view(client, staff_admin, bkm, announcements):
    client.force_login(staff_admin)
    response = client.post(
        reverse("forum:meeting_create"),
        {
            "title": "Persiapan musrenbang",
            "agenda": "Menyusun usulan",
            "starts_at": "2026-12-15T09:00",
            "place": "",
            "online_link": "javascript:alert(1)",
            "invited_bkms": [bkm.pk],
        },
    )
    assert response.status_code == 200 and not Meeting.objects.exists()
    response = client.post(
        reverse("forum:meeting_create"),
        {
            "title": "Persiapan musrenbang",
            "agenda": "Menyusun usulan",
            "starts_at": "2026-12-15T09:00",
            "online_link": "https://meet.example/forum",
            "invited_bkms": [bkm.pk],
            "thread_category": announcements.pk,
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.starts_at.astimezone(WIB).hour == 9
    assert meeting.thread is not None


def test_meeting_create_rejects_script_link(staff_admin):
    with pytest.raises(ValidationError):
        services.meeting_create(
            user=staff_admin,
            title="Tautan jahat",
            agenda="x",
            starts_at=timezone.now() + timedelta(days=1),
            online_link="javascript:alert(1)",
        )


def test_meeting_edit_reschedules_and_is_staff_only(client, staff_admin, member, bkm):
    meeting = MeetingFactory()
    client.force_login(member)
    assert client.get(reverse("forum:meeting_edit", args=[meeting.pk])).status_code == 403
    client.force_login(staff_admin)
    response = client.post(
        reverse("forum:meeting_edit", args=[meeting.pk]),
        {
            "title": "Diundur",
            "agenda": "Sama",
            "starts_at": "2026-12-20T13:30",
            "place": "Balai Kelurahan",
            "invited_bkms": [bkm.pk],
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Diundur" and meeting.starts_at.astimezone(WIB).hour == 13
    assert list(meeting.invited_bkms.all()) == [bkm]


def test_thread_page_shows_its_meeting_to_readers_who_may_see_it(client, member, far_member, bkm, general):
    """The thread page's meeting badge follows `filter_visible_meetings`: an invited BKM's meeting is
    shown to its members only, a meeting with no invitees to every reader."""
    invited_thread = services.thread_create(user=member, category=general, title="Rapat BKM", source="Agenda")
    open_thread = services.thread_create(user=member, category=general, title="Rapat umum", source="Agenda umum")
    invited = MeetingFactory(thread=invited_thread, title="Rapat undangan")
    invited.invited_bkms.set([bkm])
    open_meeting = MeetingFactory(thread=open_thread, title="Rapat terbuka")
    for user, invited_shown in ((far_member, False), (member, True)):
        client.force_login(user)
        page = client.get(reverse("forum:thread", args=[invited_thread.pk])).content.decode()
        assert ("Rapat undangan" in page) is invited_shown
        assert (reverse("forum:meeting", args=[invited.pk]) in page) is invited_shown
        page = client.get(reverse("forum:thread", args=[open_thread.pk])).content.decode()
        assert "Rapat terbuka" in page and reverse("forum:meeting", args=[open_meeting.pk]) in page
