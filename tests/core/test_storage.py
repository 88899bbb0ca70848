"""Files written safely: a full or read-only disk gives an Indonesian message, no file and no row;
missing files are 404 (issue 13)."""

from __future__ import annotations

import errno
import io
import os
import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from bkm.models import Document, DocumentVersion
from core import storage as core_storage
from forum import services as forum_services
from forum.models import Attachment, Post
from tests.factories import UserFactory
from tests.forum.conftest import ensure_reference_data as ensure_forum_reference_data
from tests.upk.test_imports import _good_data, _workbook
from upk import services as upk_services
from upk.models import ImportJob

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"%" * 200_000


def _media_files() -> set[str]:
    root = Path(default_storage.path(""))
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _failing_writes(monkeypatch, code: int, *, after: int = 0) -> None:
    """The disk refuses: the `after`-th write onwards writes a little, then raises `code`."""
    calls = {"n": 0}
    real = core_storage._write_chunks

    def write(fh, content):
        calls["n"] += 1
        if calls["n"] <= after:
            return real(fh, content)
        fh.write(b"x" * 65536)  # a partial file exists when the error comes
        raise OSError(code, os.strerror(code), "/var/lib/pokja/media/forum/rahasia")

    monkeypatch.setattr(core_storage, "_write_chunks", write)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 120, 60)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def forum_thread(db, member):
    ensure_forum_reference_data()
    from forum.models import Category

    general = Category.objects.get(slug="kelembagaan-bkm")
    return forum_services.thread_create(user=member, category=general, title="Berbagi berkas", source="Isi")


@pytest.mark.django_db
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_forum_reply_with_attachment_on_refusing_disk_saves_nothing(client, member, forum_thread, monkeypatch, code):
    before = _media_files()
    posts = Post.objects.count()
    # The first image is stored and succeeds; the second one then fails.
    _failing_writes(monkeypatch, code, after=1)
    client.force_login(member)
    response = client.post(
        reverse("forum:thread_reply", args=[forum_thread.pk]),
        {
            "body": "Foto kegiatan",
            "attachments": [SimpleUploadedFile("foto.png", _png()), SimpleUploadedFile("foto2.png", _png())],
        },
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "berkas tidak disimpan dan tidak ada yang dicatat" in text
    assert "/var/lib/pokja" not in text and "rahasia" not in text
    assert Post.objects.count() == posts and not Attachment.objects.exists()
    assert _media_files() == before  # no partial file, no temp, no orphaned first image


@pytest.mark.django_db
def test_document_upload_on_full_disk_saves_nothing(client, bkm, coordinator, monkeypatch):
    before = _media_files()
    _failing_writes(monkeypatch, errno.ENOSPC)
    client.force_login(coordinator)
    response = client.post(
        reverse("bkm:document_create", args=[bkm.pk]),
        {"doc_type": "adart", "title": "AD/ART", "note": "", "file": SimpleUploadedFile("adart.pdf", PDF)},
    )
    assert response.status_code == 400
    assert "Ruang penyimpanan server penuh" in response.content.decode()
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()
    assert _media_files() == before


@pytest.mark.django_db
def test_import_upload_on_read_only_disk_saves_nothing(client, bkm, monkeypatch):
    upk = bkm.units.get(unit_type="upk")
    upk_services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_disk")
    manager.upk_units.set([upk])
    before = _media_files()
    _failing_writes(monkeypatch, errno.EROFS)
    client.force_login(manager)
    upload = SimpleUploadedFile("buku.xlsx", _workbook(_good_data(upk.bkm.kelurahan.name)))
    response = client.post(reverse("upk:import", args=[upk.pk]), {"file": upload})
    assert response.status_code == 200
    assert "tidak dapat ditulisi" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert _media_files() == before


@pytest.fixture
def tiny_media(settings, tmp_path):
    """MEDIA_ROOT on a 64 KiB tmpfs: a real full disk."""
    mount = tmp_path / "media"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the patched-ENOSPC tests cover the same paths")
    settings.MEDIA_ROOT = str(mount)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.django_db
def test_document_upload_on_really_full_tmpfs_saves_nothing(client, bkm, coordinator, tiny_media):
    client.force_login(coordinator)
    response = client.post(
        reverse("bkm:document_create", args=[bkm.pk]),
        {"doc_type": "adart", "title": "AD/ART", "note": "", "file": SimpleUploadedFile("adart.pdf", PDF)},
    )
    assert response.status_code == 400
    assert "Ruang penyimpanan server penuh" in response.content.decode()
    assert not DocumentVersion.objects.exists()
    assert [p for p in tiny_media.rglob("*") if p.is_file()] == []


@pytest.mark.django_db
def test_missing_attachment_file_is_404_and_logged(client, member, forum_thread, caplog):
    post = forum_services.post_reply(
        user=member, thread=forum_thread, source="Lampiran", files=[SimpleUploadedFile("a.pdf", PDF)]
    )
    attachment = post.attachments.get()
    default_storage.delete(attachment.file.name)
    client.force_login(member)
    response = client.get(reverse("forum:attachment", args=[attachment.pk]))
    assert response.status_code == 404
    assert any("Missing media file" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_missing_report_file_is_404(client, staff_admin):
    from django.core.files.base import ContentFile

    from reports.models import ReportRun, RunStatus

    name = default_storage.save("reports/2026/01/hilang.pdf", ContentFile(b"%PDF-1.4"))
    run = ReportRun.objects.create(report_type="kolaborasi", requested_by=staff_admin, status=RunStatus.DONE, pdf=name)
    default_storage.delete(name)
    client.force_login(staff_admin)
    assert client.get(reverse("reports:run_download", args=[run.pk])).status_code == 404


def test_safe_storage_never_overwrites_and_leaves_no_temp(tmp_path):
    from django.core.files.base import ContentFile

    store = core_storage.SafeFileSystemStorage(location=str(tmp_path))
    first = store.save("a/b.txt", ContentFile(b"satu"))
    second = store.save("a/b.txt", ContentFile(b"dua"))
    assert first != second
    assert (tmp_path / first).read_bytes() == b"satu" and (tmp_path / second).read_bytes() == b"dua"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted([Path(first).name, Path(second).name])
