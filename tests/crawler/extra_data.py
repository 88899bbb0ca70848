"""Records the demo city does not have but the crawler needs to reach every page kind.

A forum topic with an image attachment and an edited post (the demo has
neither). Report runs (the demo has none): for staff, for the coordinator's BKM and for
the manager's UPK, one done with a PDF, one failed and one still running (its
status box polls with htmx). An attachment on each proposal of the coordinator's BKM.
Returns the stored files, removed after the crawl.
"""

from __future__ import annotations

import io

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


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (25, 135, 84)).save(buffer, format="PNG")
    return buffer.getvalue()


def _forum_thread(*, files: list[str]) -> None:
    """A new topic by the member (so it is the newest everywhere), with an image, edited once."""
    from django.core.exceptions import PermissionDenied
    from django.core.files.uploadedfile import SimpleUploadedFile

    from forum import permissions as forum_permissions
    from forum import services as forum_services
    from forum.attachments import attachment_thumbnail_make
    from forum.models import Category

    member = User.objects.get(username="anggota")
    for category in Category.objects.order_by("pk"):
        try:
            forum_permissions.check_start_thread(member, category)
        except PermissionDenied:
            continue
        break
    else:
        raise RuntimeError("the demo member may start a topic in no category")
    upload = SimpleUploadedFile("denah-lokasi.png", _png(), content_type="image/png")
    thread = forum_services.thread_create(
        user=member, category=category, title="Denah lokasi drainase RT 03", source="Denah terlampir.", files=[upload]
    )
    post = thread.posts.order_by("pk").first()
    assert post is not None
    forum_services.post_edit(user=member, post=post, source="Denah terlampir, sudah diperbarui.")
    for attachment in post.attachments.all():
        # What the worker does after the upload's commit (the crawl's data is never committed).
        attachment_thumbnail_make(attachment_id=attachment.pk)
        attachment.refresh_from_db()
        files += [attachment.file.name, attachment.thumbnail.name]


def _proposal_attachments(*, files: list[str]) -> None:
    """An attachment on every proposal of the coordinator's BKM: the crawler opens two proposal pages per
    role, whichever they are, and the attachment download must be among their links."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bkm import services as bkm_services
    from bkm.models import Proposal

    coordinator = User.objects.get(username="koordinator")
    for proposal in Proposal.objects.filter(bkm_id=coordinator.bkm_id):
        attachment = bkm_services.proposal_attachment_add(
            proposal=proposal, upload=SimpleUploadedFile("rab.pdf", MINIMAL_PDF), title="RAB", actor=coordinator
        )
        files.append(attachment.file.name)


def add_extra_data() -> list[str]:
    files: list[str] = []
    _forum_thread(files=files)
    _proposal_attachments(files=files)
    period = timezone.localdate().replace(day=1).strftime("%Y-%m")
    staf = User.objects.get(username="staf")
    coordinator = User.objects.get(username="koordinator")
    manager = User.objects.get(username="manajer")
    upk = manager.upk_units.get(unit_type=UnitType.UPK)
    _runs(user=staf, report_type="kolaborasi", parameters={"year": timezone.localdate().year}, files=files)
    _runs(user=coordinator, report_type="profil_bkm", parameters={"bkm": coordinator.bkm_id}, files=files)
    _runs(user=manager, report_type="bulanan_upk", parameters={"upk": upk.pk, "period": period}, files=files)
    return files
