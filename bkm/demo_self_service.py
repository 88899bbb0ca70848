"""Demo self-service submissions (issue 15) for the demo coordinator's BKM and a few others:
a draft, a proposal waiting for verification, one returned with a note, LPJs waiting,
returned and accepted, and a slum-measure update waiting. Through `bkm.services`, with the
demo logins as actors where a person acted, so "Pengajuan saya", the staff queue and the
notices have something to show. Safe to run again (skipped once any LPJ exists).
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from . import services
from .demo_extra import minimal_pdf
from .models import BKM, OPD, SLUM_ASPECTS, BKMStatus, FundingSource, LPJReport, Notice, Proposal, SlumArea, SlumMeasure


def _pdf(title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{title}.pdf", minimal_pdf(title, ["Contoh data portal POKJA-PKP"]))


def seed(*, rng: random.Random, scale: str) -> None:
    users = get_user_model().objects
    coordinator = users.filter(username="koordinator", is_coordinator=True).select_related("bkm").first()
    staff = users.filter(username="staf").first()
    if coordinator is None or coordinator.bkm is None or LPJReport.objects.exists():
        return
    bkm: BKM = coordinator.bkm
    year = timezone.localdate().year
    opd = OPD.objects.filter(acronym="Dinas PUPR").first() or OPD.objects.first()
    if opd is None:
        return
    items = list(bkm.rplp_items.filter(proposals__isnull=True).order_by("year"))

    def draft(title: str, budget: int, item_index: int) -> int:
        item = items[item_index] if len(items) > item_index else None
        proposal = services.proposal_create(
            bkm=bkm,
            data={
                "title": title,
                "opd": opd,
                "kelurahan": bkm.kelurahan,
                "location": f"RT {rng.randint(1, 9):02d}/RW {rng.randint(1, 4):02d}",
                "aspect": item.aspect if item else "",
                "rplp_item": item,
                "year": year + 1,
                "budget_proposed": Decimal(budget),
                "funding_source": FundingSource.APBD,
                "description": "Contoh data: usulan yang diajukan BKM lewat portal.",
            },
            actor=coordinator,
            draft=True,
        )
        return proposal.pk

    draft("Rehab saluran tersier (draf)", 45_000_000, 0)
    waiting = draft("Titian ulin gang Damai", 180_000_000, 1)
    services.proposal_attachment_add(
        proposal=Proposal.objects.get(pk=waiting), upload=_pdf("RAB titian ulin"), title="RAB", actor=coordinator
    )
    services.proposal_transition(
        proposal_id=waiting, to_status="diajukan", actor=coordinator, note="Mohon diverifikasi."
    )
    returned = draft("Hidran lingkungan RW 02", 75_000_000, 2)
    services.proposal_transition(proposal_id=returned, to_status="diajukan", actor=coordinator)
    services.proposal_transition(
        proposal_id=returned,
        to_status="dikembalikan",
        actor=staff,
        note="Lampirkan gambar rencana dan RAB yang ditandatangani.",
    )

    services.lpj_submit(bkm=bkm, year=year - 2, upload=_pdf("LPJ BKM 2 tahun lalu"), actor=coordinator)
    accepted = LPJReport.objects.get(bkm=bkm, year=year - 2)
    services.lpj_verify(report_id=accepted.pk, accept=True, actor=staff)
    services.lpj_submit(bkm=bkm, year=year - 1, upload=_pdf("LPJ BKM tahun lalu"), actor=coordinator)
    older = services.lpj_submit(bkm=bkm, year=year - 3, upload=_pdf("LPJ BKM 3 tahun lalu"), actor=coordinator)
    services.lpj_verify(
        report_id=older.pk, accept=False, note="Lampiran neraca belum ditandatangani pengawas.", actor=staff
    )

    for index, area in enumerate(SlumArea.objects.filter(kelurahan_id=bkm.kelurahan_id).order_by("pk")[:2]):
        latest = SlumMeasure.objects.filter(slum_area=area).order_by("-year").first()
        data = {
            f: max(Decimal(0), (getattr(latest, f) if latest else Decimal(50)) - rng.randint(0, 8))
            for f, _l in SLUM_ASPECTS
        }
        update = services.slum_measure_update_submit(
            bkm=bkm,
            area=area,
            data={"year": year, **data},
            note="Hasil survei BKM bersama kelurahan.",
            actor=coordinator,
        )

        if index == 1:
            services.slum_measure_update_verify(
                update_id=update.pk, accept=False, note="Sertakan foto dan peta sebaran hasil survei.", actor=staff
            )

    # Two other BKMs' LPJs waiting and returned, for the staff queue.
    others = list(BKM.objects.filter(status=BKMStatus.AKTIF).exclude(pk=bkm.pk).order_by("kelurahan__code")[:2])
    for index, other in enumerate(others):
        report = services.lpj_submit(bkm=other, year=year - 1, upload=_pdf(f"LPJ {other.name}"), actor=None)
        if index == 1:
            services.lpj_verify(report_id=report.pk, accept=False, note="Laporan keuangan belum diaudit.", actor=staff)

    # Demo notices stay in the portal: marked as mailed, so the outbox tasks queued with them send nothing.
    Notice.objects.filter(emailed_at__isnull=True).update(emailed_at=timezone.now())
