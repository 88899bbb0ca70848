"""Attachment checks and storage.

The type is decided by the file's content (magic bytes via `filetype`), never
by the name or the browser's Content-Type; the extension must agree with it.
SVG is refused (it is XML that can carry script). Images are re-encoded with
Pillow, which drops EXIF/GPS metadata and anything appended after the image
data; their thumbnail is made off the request path, by the Celery task
`forum.tasks.attachment_thumbnail_make` queued through the outbox with the
upload (`attachment_thumbnail_make` below), and the thread page shows a link
with the file's name until it exists. Files live under MEDIA_ROOT with random
names and are served only by `views.attachment_download` after a permission check.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import uuid
import zlib
from typing import Any

import filetype
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.outbox import outbox_add

from . import conf
from .models import Attachment, Post

logger = logging.getLogger(__name__)

THUMBNAIL_TASK = "forum.tasks.attachment_thumbnail_make"

# content type → extensions it may be uploaded with
ALLOWED_TYPES: dict[str, set[str]] = {
    "application/pdf": {"pdf"},
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {"pptx"},
    "application/vnd.oasis.opendocument.text": {"odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {"ods"},
    "application/msword": {"doc"},
    "application/vnd.ms-excel": {"xls"},
    "application/vnd.ms-powerpoint": {"ppt"},
}
# Old Office files are all OLE2 containers; `filetype` may report any of the three.
_OLE_TYPES = {
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/x-ole-storage",
}
PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
THUMB_SIZE = (320, 320)


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def detect_content_type(head: bytes, name: str) -> str:
    """The allowed content type of an upload, or ValidationError in Indonesian."""
    kind = filetype.guess(head)
    ext = _extension(name)
    if kind is None:
        raise ValidationError(
            _(
                "Jenis berkas “%(name)s” tidak dikenali. Yang diterima: PDF, gambar (PNG/JPEG/GIF/WebP) dan dokumen Office."
            )
            % {"name": name}
        )
    mime = kind.mime
    if mime in _OLE_TYPES and ext in {"doc", "xls", "ppt"}:
        mime = {"doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint"}[
            ext
        ]
    if mime not in ALLOWED_TYPES:
        raise ValidationError(_("Jenis berkas “%(name)s” (%(mime)s) tidak diizinkan.") % {"name": name, "mime": mime})
    if ext not in ALLOWED_TYPES[mime]:
        raise ValidationError(
            _("Isi berkas “%(name)s” tidak sesuai dengan ekstensinya (.%(ext)s); berkas ditolak.")
            % {"name": name, "ext": ext or "?"}
        )
    return mime


def _safe_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/"))
    cleaned = "".join(ch for ch in base if ch.isalnum() or ch in "._- ").strip() or "berkas"
    return cleaned[:150]


def _decode(data: bytes, *, draft: tuple[int, int] | None = None) -> Image.Image:
    """The decoded image, refused (ValidationError) above the pixel cap before any pixel is decoded."""
    max_pixels = conf.get("FORUM_ATTACHMENT_MAX_PIXELS")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # Image.open reads the header only: the size is known before anything is decoded.
            width, height = probe.size
            if width * height > max_pixels:
                raise ValidationError(
                    _("Gambar terlalu besar: %(w)d × %(h)d piksel (maksimal %(mp)d megapiksel).")
                    % {"w": width, "h": height, "mp": max_pixels // 1_000_000}
                )
            probe.verify()
        img: Image.Image = Image.open(io.BytesIO(data))
        if draft is not None:
            img.draft("RGB", draft)  # JPEG: decode at a fraction of the size, enough for a thumbnail
        img.load()
    # Pillow reports a broken file in several ways: a bad chunk checksum is a
    # SyntaxError, a truncated header a ValueError, a cut stream EOFError or
    # struct/zlib errors. Each is the uploader's bad file, never a 500.
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        struct.error,
        zlib.error,
        Image.DecompressionBombError,
    ) as exc:
        raise ValidationError(_("Gambar rusak atau tidak dapat dibaca.")) from exc
    return img


def _reencode(data: bytes, mime: str) -> bytes:
    """The image without metadata."""
    img = _decode(data)
    fmt = PIL_FORMATS[mime]
    if fmt == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    clean = io.BytesIO()
    # A fresh save writes pixels only: no EXIF, no GPS, no trailing payload.
    img.save(clean, format=fmt)
    return clean.getvalue()


def _thumbnail(data: bytes) -> bytes:
    """A PNG at most THUMB_SIZE of an (already cleaned) image."""
    img = _decode(data, draft=THUMB_SIZE)
    img.thumbnail(THUMB_SIZE)
    if img.mode not in ("RGB", "RGBA", "L"):
        img = img.convert("RGBA")
    thumb = io.BytesIO()
    img.save(thumb, format="PNG")
    return thumb.getvalue()


def validate_upload(upload: UploadedFile) -> str:
    max_bytes = conf.get("FORUM_ATTACHMENT_MAX_BYTES")
    if upload.size is None or upload.size > max_bytes:
        raise ValidationError(
            _("Berkas “%(name)s” terlalu besar (maksimal %(mb)s MB).")
            % {"name": upload.name, "mb": max_bytes // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    return detect_content_type(head, upload.name or "")


def attachment_store(*, post: Post, uploader: Any, upload: UploadedFile) -> Attachment:
    mime = validate_upload(upload)
    original_name = _safe_name(upload.name or "berkas")
    upload.seek(0)
    data = upload.read()
    stored_name = f"{uuid.uuid4().hex}.{_extension(original_name) or 'bin'}"
    attachment = Attachment(
        post=post, uploader=uploader, original_name=original_name, content_type=mime, size=len(data)
    )
    if mime in PIL_FORMATS:
        data = _reencode(data, mime)
        attachment.size = len(data)
    attachment.file.save(stored_name, ContentFile(data), save=False)
    attachment.save()
    if mime in PIL_FORMATS:
        # Made by a worker, not in this request: stored with the row, sent when it commits.
        outbox_add(task=THUMBNAIL_TASK, args=[attachment.pk])
    return attachment


def attachment_thumbnail_make(*, attachment_id: int) -> str:
    """Make an image attachment's thumbnail (the task `THUMBNAIL_TASK`); what happened, for the log.

    Idempotent: a second delivery finds the thumbnail made (or loses the race at the UPDATE and
    removes its own file). A missing or unreadable original is logged and left without thumbnail
    (the page keeps the link); a disk error raises, so the task retries.
    """
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return "missing"
    if attachment.thumbnail or attachment.content_type not in PIL_FORMATS:
        return "nothing to do"
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        logger.error("Forum attachment %s: file %s missing, no thumbnail", attachment.pk, attachment.file.name)
        return "file missing"
    try:
        thumb = _thumbnail(data)
    except ValidationError:
        logger.error("Forum attachment %s: image unreadable, no thumbnail", attachment.pk)
        return "unreadable"
    field = Attachment._meta.get_field("thumbnail")
    name = default_storage.save(field.generate_filename(attachment, f"{uuid.uuid4().hex}.png"), ContentFile(thumb))  # type: ignore[attr-defined]
    if not Attachment.objects.filter(pk=attachment.pk, thumbnail="").update(thumbnail=name):
        default_storage.delete(name)  # a twin delivery made it first (or the attachment is gone)
        return "made by another run"
    return "made"
