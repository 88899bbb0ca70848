from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from bkm.models import Kecamatan, ProposalStatus
from reports.models import ACTIVE_STATUSES, ReportRun
from tests.factories import BKMFactory

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


def pdf_text(run: ReportRun) -> str:
    """The PDF's text with whitespace collapsed, so table rows read as one line."""
    reader = PdfReader(Path(default_storage.path(run.pdf.name)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())
