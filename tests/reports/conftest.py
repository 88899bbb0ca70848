from __future__ import annotations

import datetime
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from bkm.models import (
    Document,
    DocumentVersion,
    Kecamatan,
    Kelurahan,
    ProposalStatus,
    SlumMeasure,
    UnitPerson,
)
from reports.models import ACTIVE_STATUSES, ReportRun
from tests.factories import BKMFactory, BoardMemberFactory, SlumAreaFactory

from .factories import OPDFactory, ProposalFactory


@pytest.fixture
def collaboration(db):
    """Proposals spread over three kecamatan, two OPDs, two years and several statuses."""
    kecamatan = list(Kecamatan.objects.order_by("name")[:3])
    bkms = [BKMFactory(kelurahan=k.kelurahan.order_by("id").first()) for k in kecamatan]
    pupr = OPDFactory(name="Dinas Pekerjaan Umum dan Penataan Ruang", acronym="PUPR")
    perkim = OPDFactory(name="Dinas Perumahan dan Kawasan Permukiman", acronym="Disperkimtan")
    specs = [
        (0, pupr, 2025, ProposalStatus.SELESAI, 250_000_000, 200_000_000),
        (0, perkim, 2026, ProposalStatus.DISETUJUI, 1_500_000, 1_250_000),
        (1, pupr, 2026, ProposalStatus.DIBAHAS, 75_500_000, None),
        (1, perkim, 2026, ProposalStatus.DITOLAK, 12_000_000, None),
        (2, pupr, 2026, ProposalStatus.DIUSULKAN, 33_333_000, None),
        (2, perkim, 2025, ProposalStatus.DILAKSANAKAN, 98_765_000, 90_000_000),
    ]
    proposals = [
        ProposalFactory(
            bkm=bkms[i],
            opd=opd,
            year=year,
            status=status,
            budget_proposed=Decimal(proposed),
            budget_approved=None if approved is None else Decimal(approved),
        )
        for i, opd, year, status, proposed, approved in specs
    ]
    return {"kecamatan": kecamatan, "bkms": bkms, "opds": [pupr, perkim], "proposals": proposals}


def wait_for_run(run_id: int, *, timeout: float = 120) -> ReportRun:
    """Poll until the worker ends the run (no timing is asserted; the bound only stops a hung test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ReportRun.objects.get(pk=run_id)
        if run.status not in ACTIVE_STATUSES:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {ReportRun.objects.get(pk=run_id).status} after {timeout}s")


def compact(text: str) -> str:
    """Text without any whitespace: pypdf may or may not put a space between adjacent table cells."""
    return "".join(text.split())


def pdf_text(run: ReportRun) -> str:
    """The PDF's text with whitespace collapsed, so table rows read as one line."""
    reader = PdfReader(Path(default_storage.path(run.pdf.name)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def registry_record(bkm) -> dict:
    """A board that triggers the registry's warnings, unit people, one document and measured slum areas."""
    today = datetime.date.today()
    ending = today + datetime.timedelta(days=30)
    board = [
        BoardMemberFactory(bkm=bkm, name="Siti Rahmawati", gender="P", position="koordinator", term_end=ending),
        *[BoardMemberFactory(bkm=bkm, name=f"Anggota Pengurus {i}", gender="L") for i in range(4)],
    ]
    BoardMemberFactory(bkm=bkm, name="Mantan Pengurus", gender="L", is_active=False)
    upk = bkm.units.get(unit_type="upk")
    people = [
        UnitPerson.objects.create(unit=upk, name="Dewi Lestari", position="manajer", gender="P"),
        UnitPerson.objects.create(unit=upk, name="Budi Santoso", position="kasir", gender="L"),
    ]
    akta = Document.objects.create(bkm=bkm, doc_type="akta", title="Akta Pendirian BKM")
    for version in (1, 2):
        DocumentVersion.objects.create(
            document=akta,
            version=version,
            file=f"bkm/dokumen/{bkm.pk}/akta-{version}.pdf",
            original_name="akta.pdf",
            extension="pdf",
            content_type="application/pdf",
            size=1000,
            sha256="0" * 64,
        )
    area = SlumAreaFactory(kelurahan=bkm.kelurahan, name="Kawasan Tepian Kahayan", area_ha=Decimal("12.75"))
    for year, base in ((2022, Decimal("62.50")), (2024, Decimal("48.25")), (2026, Decimal("31.10"))):
        SlumMeasure.objects.create(
            slum_area=area,
            year=year,
            building=base,
            roads=base - 5,
            drainage=base + Decimal("7.35"),
            drinking_water=base - 12,
            wastewater=base + 3,
            solid_waste=base - Decimal("1.15"),
            fire_protection=base + 10,
        )
    other_kel = Kelurahan.objects.exclude(pk=bkm.kelurahan_id).order_by("id").first()
    other_area = SlumAreaFactory(kelurahan=other_kel, name=f"Kawasan Lain Sekali {bkm.pk}")
    return {"board": board, "people": people, "akta": akta, "area": area, "other_area": other_area}


@pytest.fixture
def forum_activity_data(collaboration, staff_admin):
    """Posts by members of two BKMs in two categories (one hidden), a held meeting with decisions and
    follow-ups, and an upcoming meeting that does not count as held."""
    from django.utils import timezone

    from forum.models import Category, FollowUpAction, MeetingDecision, MeetingRSVP
    from tests.factories import UserFactory
    from tests.forum.conftest import ensure_reference_data
    from tests.forum.factories import MeetingFactory, PostFactory, ThreadFactory

    ensure_reference_data()
    bkms = collaboration["bkms"]
    general = Category.objects.get(slug="kelembagaan-bkm")
    other = Category.objects.exclude(pk=general.pk).filter(kecamatan__isnull=True).order_by("position").first()
    a = UserFactory(role="bkm_member", bkm=bkms[0])
    b = UserFactory(role="bkm_member", bkm=bkms[1])
    t1 = ThreadFactory(category=general, author=a, title="Rapat anggota tahunan")
    t2 = ThreadFactory(category=other, author=b, title="Pinjaman bergulir macet")
    for thread, author in [(t1, a), (t1, b), (t1, a), (t2, b), (t2, a)]:
        PostFactory(thread=thread, author=author)
    PostFactory(thread=t2, author=b, is_hidden=True)  # moderated away: never counted
    PostFactory(thread=t1, author=staff_admin)
    now = timezone.now()
    held = MeetingFactory(
        title="Pertemuan forum triwulan", starts_at=now - timezone.timedelta(days=20), created_by=staff_admin
    )
    held.invited_bkms.set(bkms)
    MeetingRSVP.objects.create(meeting=held, user=a, response="yes", attended=True)
    MeetingRSVP.objects.create(meeting=held, user=b, response="no")
    d1 = MeetingDecision.objects.create(meeting=held, text="Menyusun jadwal pelatihan pembukuan UPK", position=1)
    d2 = MeetingDecision.objects.create(meeting=held, text="Mengusulkan drainase ke Dinas PUPR", position=2)
    follow = [
        FollowUpAction.objects.create(
            decision=d1,
            description="Kirim daftar peserta",
            assignee_bkm=bkms[0],
            due_date=now.date() - timezone.timedelta(days=5),
        ),
        FollowUpAction.objects.create(
            decision=d1,
            description="Siapkan modul",
            assignee_bkm=bkms[1],
            due_date=now.date() + timezone.timedelta(days=10),
            status="in_progress",
        ),
        FollowUpAction.objects.create(
            decision=d2,
            description="Susun proposal drainase",
            assignee_opd=collaboration["opds"][0],
            due_date=now.date() - timezone.timedelta(days=1),
            status="done",
        ),
    ]
    upcoming = MeetingFactory(title="Pertemuan forum berikutnya", created_by=staff_admin)
    return {
        "members": [a, b],
        "threads": [t1, t2],
        "held": held,
        "upcoming": upcoming,
        "follow_ups": follow,
        "categories": [general, other],
    }


@pytest.fixture(autouse=True)
def _forum_reference_data(request):
    """Forum categories and grants come from migrations; transactional tests elsewhere flush them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from tests.forum.conftest import ensure_reference_data

    ensure_reference_data()


def _month_add(day, months: int, dom: int = 10):
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, dom)


@pytest.fixture
def upk_portfolio(collaboration):
    """Three UPKs with books; period = last month, loans disbursed nine months before it.

    A pays every instalment and submitted last month's package; B has one good loan and three that
    stopped after 4, 5 and 6 instalments (one more loan at risk each of the last three months: PAR
    rising); C has one loan that stopped after 5.
    """
    from django.utils import timezone

    from reports.registry import previous_month
    from tests.factories import UserFactory
    from tests.upk.factories import make_active_loan, make_ksm
    from upk import services
    from upk.ledger.books import current_schedule

    today = timezone.localdate()
    period = previous_month(today)
    year, month = (int(x) for x in period.split("-"))
    last_month = datetime.date(year, month, 1)
    disbursed = _month_add(last_month, -9)
    upks, managers, loans = [], [], {}
    plans = ([None, None], [None, 4, 5, 6], [5])
    for i, (bkm, plan) in enumerate(zip(collaboration["bkms"], plans, strict=True)):
        unit = bkm.units.get(unit_type="upk")
        services.settings.upk_setup(upk=unit)
        manager = UserFactory(role="upk_manager", username=f"manajer_upk_{i}")
        manager.upk_units.set([unit])
        services.cash.capital_receive(
            upk=unit,
            account=unit.accounts.get(role="capital_kotaku"),
            amount=100_000_000,
            date=_month_add(disbursed, -7, 2),
            description="Modal BLM KOTAKU",
            actor=manager,
            idempotency_key=f"capital-{unit.pk}",
            channel="kas",
        )
        loans[unit.pk] = []
        for paid in plan:
            ksm = make_ksm(unit, actor=manager, savings_from=_month_add(disbursed, -4, 5))
            loan = make_active_loan(
                unit, manager, ksm=ksm, applied_on=disbursed - datetime.timedelta(days=3), disbursed_on=disbursed
            )
            schedule = current_schedule(loan)
            due = [inst for inst in schedule.instalments.order_by("number") if inst.due_date <= today]
            for inst in due if paid is None else due[:paid]:
                services.repayments.repayment_record(
                    loan=loan,
                    amount=int(inst.total),
                    paid_on=inst.due_date,
                    actor=manager,
                    idempotency_key=f"pay-{loan.pk}-{inst.number}",
                )
            loans[unit.pk].append(loan)
        upks.append(unit)
        managers.append(manager)
    services.periods.monthly_package_submit(upk=upks[0], year=year, month=month, actor=managers[0])
    return {"upks": upks, "managers": managers, "loans": loans, "period": period, "year": year, "month": month}
