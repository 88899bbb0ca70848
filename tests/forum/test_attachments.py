from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from core.models import OutboxMessage
from forum import services
from forum.attachments import THUMBNAIL_TASK, attachment_thumbnail_make
from forum.models import Attachment, Post

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png_with_exif() -> bytes:
    img = Image.new("RGB", (800, 600), (20, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes())
    return buf.getvalue()


def _reply(user, thread, *files, source="Lampiran terlampir"):
    return services.post_reply(user=user, thread=thread, source=source, files=list(files))


@pytest.fixture
def thread(member, general):
    return services.thread_create(user=member, category=general, title="Berbagi dokumen", source="Silakan lampirkan")


def test_attachment_store_accepts_pdf_and_serves_with_safe_headers(client, member, thread):
    post = _reply(member, thread, SimpleUploadedFile("laporan.pdf", PDF, content_type="application/pdf"))
    attachment = post.attachments.get()
    assert attachment.content_type == "application/pdf"
    client.force_login(member)
    response = client.get(reverse("forum:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF


def test_attachment_stored_outside_public_urls(member, thread, settings):
    post = _reply(member, thread, SimpleUploadedFile("laporan.pdf", PDF))
    attachment = post.attachments.get()
    assert attachment.file.path.startswith(str(settings.MEDIA_ROOT))
    assert "laporan" not in attachment.file.name  # random stored name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("laporan.pdf", b"<html><script>alert(1)</script></html>"),  # HTML disguised as PDF
        ("foto.png", PDF),  # PDF disguised as PNG
        ("gambar.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'),
        ("gambar.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("program.exe", b"MZ\x90\x00" + b"\x00" * 60),
        ("skrip.pdf", b"MZ\x90\x00" + b"\x00" * 60),
        ("kosong.pdf", b""),
    ],
)
def test_attachment_disguised_or_forbidden_file_rejected_and_nothing_saved(member, thread, name, content):
    with pytest.raises(ValidationError):
        _reply(member, thread, SimpleUploadedFile(name, content), source=f"Coba {name}")
    assert not Attachment.objects.exists()
    assert thread.posts.count() == 1


@override_settings(FORUM_ATTACHMENT_MAX_BYTES=1024)
def test_attachment_too_large_rejected(member, thread):
    big = PDF + b"0" * 2048
    with pytest.raises(ValidationError) as exc:
        _reply(member, thread, SimpleUploadedFile("besar.pdf", big))
    assert "terlalu besar" in exc.value.messages[0]


def test_image_reencoded_without_metadata_and_thumbnail_made_off_the_request(client, member, thread):
    data = _png_with_exif()
    assert b"KameraRahasia" in data
    post = _reply(member, thread, SimpleUploadedFile("foto.jpg", data))
    attachment = post.attachments.get()
    stored = attachment.file.open("rb").read()
    assert b"KameraRahasia" not in stored
    # The upload made no thumbnail: its task waits in the outbox; the page shows the placeholder.
    assert not attachment.thumbnail
    assert OutboxMessage.objects.filter(task=THUMBNAIL_TASK, args=[attachment.pk]).exists()
    client.force_login(member)
    page = client.get(reverse("forum:thread", args=[thread.pk])).content.decode()
    assert 'data-testid="thumb-pending"' in page
    assert reverse("forum:attachment_thumbnail", args=[attachment.pk]) not in page
    assert client.get(reverse("forum:attachment_thumbnail", args=[attachment.pk])).status_code == 404
    # What the worker runs:
    assert attachment_thumbnail_make(attachment_id=attachment.pk) == "made"
    assert attachment_thumbnail_make(attachment_id=attachment.pk) == "nothing to do"  # a second delivery
    attachment.refresh_from_db()
    with Image.open(attachment.thumbnail.open("rb")) as thumb:
        assert max(thumb.size) <= 320
    response = client.get(reverse("forum:attachment_thumbnail", args=[attachment.pk]))
    assert response["Content-Type"] == "image/png"
    page = client.get(reverse("forum:thread", args=[thread.pk])).content.decode()
    assert reverse("forum:attachment_thumbnail", args=[attachment.pk]) in page
    assert 'data-testid="thumb-pending"' not in page


def test_attachment_thumbnail_make_without_the_file_logs_and_keeps_the_link(member, thread, caplog):
    post = _reply(member, thread, SimpleUploadedFile("foto.jpg", _png_with_exif()))
    attachment = post.attachments.get()
    attachment.file.storage.delete(attachment.file.name)
    assert attachment_thumbnail_make(attachment_id=attachment.pk) == "file missing"
    assert "missing" in caplog.text
    attachment.refresh_from_db()
    assert not attachment.thumbnail


def test_pdf_attachment_queues_no_thumbnail(member, thread):
    post = _reply(member, thread, SimpleUploadedFile("laporan.pdf", PDF))
    assert not OutboxMessage.objects.filter(task=THUMBNAIL_TASK, args=[post.attachments.get().pk]).exists()


def test_attachment_download_denied_without_read_permission(client, member, far_member, home_kecamatan_category):
    thread = services.thread_create(
        user=member,
        category=home_kecamatan_category,
        title="Dokumen kecamatan",
        source="Lampiran internal",
        files=[SimpleUploadedFile("internal.pdf", PDF)],
    )
    attachment = Attachment.objects.get(post__thread=thread)
    client.force_login(far_member)
    assert client.get(reverse("forum:attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("forum:attachment_thumbnail", args=[attachment.pk])).status_code == 404


def test_attachment_of_hidden_post_denied_to_members(client, member, member_b, staff_admin, thread):
    post = _reply(member, thread, SimpleUploadedFile("laporan.pdf", PDF))
    services.post_set_hidden(user=staff_admin, post=post, hidden=True, reason="Salah unggah")
    client.force_login(member_b)
    assert client.get(reverse("forum:attachment", args=[post.attachments.get().pk])).status_code == 404


def test_attach_permission_required(upk_manager, announcements, staff_admin):
    thread = services.thread_create(user=staff_admin, category=announcements, title="Pengumuman resmi", source="Isi")
    # UPK managers may reply to announcements but not attach there.
    with pytest.raises(ValidationError):
        services.post_reply(
            user=upk_manager, thread=thread, source="Ini lampiran", files=[SimpleUploadedFile("a.pdf", PDF)]
        )
    assert Post.objects.filter(thread=thread).count() == 1


def test_reply_form_upload_through_view(client, member, thread):
    client.force_login(member)
    response = client.post(
        reverse("forum:thread_reply", args=[thread.pk]),
        {"body": "Lewat formulir", "attachments": [SimpleUploadedFile("foto.png", b"%PDF-1.4 nyamar")]},
    )
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    page = client.get(response["Location"], follow=True).content.decode()
    assert "tidak sesuai dengan ekstensinya" in page


def test_image_over_pixel_cap_refused_from_its_header(member, thread, settings):
    # 10 000 × 10 000 pixels of one colour compress to a few hundred KB; decoding would take ~300 MB.
    buf = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buf, format="PNG")
    assert len(buf.getvalue()) < 1_000_000
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(ValidationError) as exc:
        _reply(member, thread, SimpleUploadedFile("besar.png", buf.getvalue()))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "terlalu besar" in " ".join(exc.value.messages)
    assert peak < 50 * 1024 * 1024  # refused before the pixels were decoded
    assert not Attachment.objects.exists()
    assert Post.objects.filter(thread=thread).count() == 1  # the reply was not saved either


def _png_with_broken_checksum() -> bytes:
    """A PNG whose image data no longer matches its chunk checksum (Pillow raises SyntaxError)."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 10, 10)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    data[data.index(b"IDAT") + 6] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    "content",
    [_png_with_broken_checksum(), b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00"],
    ids=["bad-checksum", "truncated-header"],
)
def test_reply_with_corrupt_png_gets_a_message_and_saves_nothing(client, member, thread, content):
    client.force_login(member)
    response = client.post(
        reverse("forum:thread_reply", args=[thread.pk]),
        {"body": "Foto lokasi", "attachments": [SimpleUploadedFile("lokasi.png", content, content_type="image/png")]},
    )
    assert response.status_code in (200, 302)
    page = client.get(response["Location"]).content.decode() if response.status_code == 302 else ""
    assert "Gambar rusak atau tidak dapat dibaca." in page + response.content.decode()
    assert not Attachment.objects.exists()
    assert Post.objects.filter(thread=thread).count() == 1


@pytest.mark.django_db(transaction=True)
def test_image_thumbnail_in_embedded_mode_is_made_after_the_upload_commits(member, general, settings):
    """No broker (`make run`): the thumbnail is made by a thread of this process after the commit."""
    import time

    settings.CELERY_TASK_ALWAYS_EAGER = True
    thread = services.thread_create(
        user=member,
        category=general,
        title="Foto lapangan",
        source="Terlampir",
        files=[SimpleUploadedFile("foto.jpg", _png_with_exif())],
    )
    attachment = Attachment.objects.get(post__thread=thread)
    deadline = time.monotonic() + 30
    while not attachment.thumbnail and time.monotonic() < deadline:
        time.sleep(0.1)
        attachment.refresh_from_db()
    assert attachment.thumbnail
    with Image.open(attachment.thumbnail.open("rb")) as thumb:
        assert thumb.size == (320, 240)
    attachment.thumbnail.storage.delete(attachment.thumbnail.name)
    attachment.file.storage.delete(attachment.file.name)
