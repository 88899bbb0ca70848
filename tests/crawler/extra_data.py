"""Records the demo city does not have but the crawler needs to reach every page kind.

Report runs (the demo has none): for staff, for the coordinator's BKM and for
the manager's UPK, one done with a PDF, one failed and one still running (its
status box polls with htmx). Returns the stored files, removed after the crawl.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from bkm.models import UnitType
from core.models import User
from reports.models import ReportRun, RunStatus

# The smallest well-formed PDF: one empty A4 page.
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _runs(*, user: User, report_type: str, parameters: dict, files: list[str]) -> None:
    now = timezone.now()
    name = default_storage.save(f"reports/crawler/{report_type}.pdf", ContentFile(MINIMAL_PDF))
    files.append(name)
    common = {"report_type": report_type, "parameters": parameters, "requested_by": user, "started_at": now}
    ReportRun.objects.create(
        **common, status=RunStatus.DONE, progress=100, finished_at=now, pdf=name, pdf_size=len(MINIMAL_PDF)
    )
    ReportRun.objects.create(
        **common, status=RunStatus.FAILED, finished_at=now, error_message="Data contoh: laporan gagal dibuat."
    )
    ReportRun.objects.create(**common, status=RunStatus.RUNNING, progress=40, progress_message="Menyusun tabel")


def add_extra_data() -> list[str]:
    files: list[str] = []
    period = timezone.localdate().replace(day=1).strftime("%Y-%m")
    staf = User.objects.get(username="staf")
    coordinator = User.objects.get(username="koordinator")
    manager = User.objects.get(username="manajer")
    upk = manager.upk_units.get(unit_type=UnitType.UPK)
    _runs(user=staf, report_type="kolaborasi", parameters={"year": timezone.localdate().year}, files=files)
    _runs(user=coordinator, report_type="profil_bkm", parameters={"bkm": coordinator.bkm_id}, files=files)
    _runs(user=manager, report_type="bulanan_upk", parameters={"upk": upk.pk, "period": period}, files=files)
    return files
