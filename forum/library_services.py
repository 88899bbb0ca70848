"""Writes of the capacity-building library and trainings: one atomic action per user intent.

Every service checks `forum.permissions` first and validates with `full_clean`, so bad
input raises a ValidationError with an Indonesian message and changes nothing. Library
files are checked by content like forum attachments (`attachments.detect_content_type`:
magic bytes, the extension must agree), limited to documents, and stored through the
default storage (`core.storage.SafeFileSystemStorage`) inside `file_writes()`, so a
refused or failed upload leaves neither a file nor a row.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bkm.models import BKM, OPD, AssessmentAspect, Unit
from core.storage import file_writes

from . import conf
from . import permissions as perms
from .attachments import PIL_FORMATS, detect_content_type
from .models import (
    Attendance,
    Material,
    MaterialCategory,
    MaterialVersion,
    Training,
    TrainingParticipant,
)
from .search import material_update_search_vector


@dataclass(frozen=True)
class CheckedMaterialFile:
    extension: str
    content_type: str
    size: int
    sha256: str


def material_check_file(*, upload: UploadedFile) -> CheckedMaterialFile:
    """Size and content of a library upload; documents only (PDF, Office, OpenDocument)."""
    limit = conf.get("FORUM_LIBRARY_MAX_BYTES")
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("Berkas kosong."), code="empty")
    if size > limit:
        raise ValidationError(
            _("Berkas “%(name)s” terlalu besar (maksimal %(mb)s MB).")
            % {"name": upload.name, "mb": limit // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    mime = detect_content_type(head, upload.name or "")
    if mime in PIL_FORMATS:
        # Pictures belong in a document (a PDF); an image here would keep its metadata.
        raise ValidationError(
            _("Pustaka menerima dokumen (PDF, Word, Excel, PowerPoint, OpenDocument), bukan gambar."),
            code="image",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    extension = os.path.splitext(upload.name or "")[1].lower().lstrip(".")
    return CheckedMaterialFile(extension=extension, content_type=mime, size=size, sha256=digest.hexdigest())


def _add_version(*, material: Material, user: Any, upload: UploadedFile, note: str) -> MaterialVersion:
    checked = material_check_file(upload=upload)
    # Lock the material so two uploads at once cannot take the same number.
    Material.objects.select_for_update().filter(pk=material.pk).first()
    number = (material.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = MaterialVersion(
        material=material,
        number=number,
        original_name=os.path.basename((upload.name or "berkas").replace("\\", "/"))[:255],
        extension=checked.extension,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        note=note.strip()[:255],
        uploaded_by=user,
    )
    version.file.save(f"v{number}.{checked.extension}", upload, save=False)
    version.save()
    material.current_version = version
    material.save(update_fields=["current_version", "updated_at"])
    return version


def _set_aspects(obj: Any, aspects: Iterable[AssessmentAspect] | None) -> None:
    if aspects is not None:
        obj.aspects.set(list(aspects))


@file_writes()
@transaction.atomic
def material_create(
    *,
    user: Any,
    category: MaterialCategory,
    title: str,
    description: str = "",
    aspects: Iterable[AssessmentAspect] | None = None,
    upload: UploadedFile,
    note: str = "",
) -> Material:
    perms.check_manage_library(user)
    material_check_file(upload=upload)  # refuse before creating anything
    material = Material(category=category, title=title.strip(), description=description.strip(), created_by=user)
    material.full_clean(exclude=["current_version"])
    material.save()
    _set_aspects(material, aspects)
    _add_version(material=material, user=user, upload=upload, note=note)
    material_update_search_vector(material_id=material.pk)
    return material


@transaction.atomic
def material_update(
    *,
    user: Any,
    material: Material,
    category: MaterialCategory,
    title: str,
    description: str = "",
    aspects: Iterable[AssessmentAspect] | None = None,
    is_archived: bool = False,
) -> Material:
    perms.check_manage_library(user)
    material.category = category
    material.title = title.strip()
    material.description = description.strip()
    material.is_archived = is_archived
    material.full_clean(exclude=["current_version"])
    material.save()
    _set_aspects(material, aspects)
    material_update_search_vector(material_id=material.pk)
    return material


@file_writes()
@transaction.atomic
def material_add_version(*, user: Any, material: Material, upload: UploadedFile, note: str = "") -> MaterialVersion:
    """A new version; the older ones stay downloadable, the newest is the one shown."""
    perms.check_manage_library(user)
    return _add_version(material=material, user=user, upload=upload, note=note)


# --- Trainings ------------------------------------------------------------------------------


def _training_apply(training: Training, data: dict[str, Any]) -> Training:
    for name in ("title", "topic", "description", "starts_on", "ends_on", "place", "organiser_opd", "capacity"):
        if name in data:
            setattr(training, name, data[name])
    training.full_clean()
    if training.pk:
        taken = training.participants.count()
        if training.capacity < taken:
            raise ValidationError(
                _("Kapasitas %(cap)d lebih kecil dari jumlah peserta terdaftar (%(n)d).")
                % {"cap": training.capacity, "n": taken}
            )
    training.save()
    return training


@transaction.atomic
def training_create(
    *,
    user: Any,
    title: str,
    topic: str,
    starts_on: datetime.date,
    place: str,
    capacity: int,
    ends_on: datetime.date | None = None,
    organiser_opd: OPD | None = None,
    description: str = "",
    aspects: Iterable[AssessmentAspect] | None = None,
) -> Training:
    perms.check_manage_trainings(user)
    training = _training_apply(
        Training(created_by=user),
        {
            "title": title.strip(),
            "topic": topic.strip(),
            "description": description.strip(),
            "starts_on": starts_on,
            "ends_on": ends_on,
            "place": place.strip(),
            "organiser_opd": organiser_opd,
            "capacity": capacity,
        },
    )
    _set_aspects(training, aspects)
    return training


@transaction.atomic
def training_update(
    *, user: Any, training: Training, data: dict[str, Any], aspects: Iterable[AssessmentAspect] | None = None
) -> Training:
    perms.check_manage_trainings(user)
    Training.objects.select_for_update().filter(pk=training.pk).first()
    _training_apply(training, data)
    _set_aspects(training, aspects)
    return training


def training_registration_open(training: Training, *, today: datetime.date | None = None) -> bool:
    """People are registered up to the day the training starts."""
    return (today or timezone.localdate()) <= training.starts_on


def training_attendance_open(training: Training, *, today: datetime.date | None = None) -> bool:
    """Attendance is recorded once the training has started."""
    return (today or timezone.localdate()) >= training.starts_on


@transaction.atomic
def training_participant_add(
    *,
    user: Any,
    training: Training,
    bkm: BKM,
    name: str,
    position: str = "",
    unit: Unit | None = None,
    today: datetime.date | None = None,
) -> TrainingParticipant:
    perms.check_view_training(user, training)
    perms.check_register_participant(user, bkm)
    # Lock the training so two registrations at once cannot pass its capacity.
    locked = Training.objects.select_for_update().get(pk=training.pk)
    if not training_registration_open(locked, today=today):
        raise ValidationError(_("Pendaftaran ditutup: pelatihan sudah dimulai."))
    if locked.participants.count() >= locked.capacity:
        raise ValidationError(_("Kuota peserta pelatihan ini sudah penuh (%(cap)d orang).") % {"cap": locked.capacity})
    if unit is not None and unit.bkm_id != bkm.pk:
        raise ValidationError(_("Unit itu bukan milik BKM yang dipilih."))
    participant = TrainingParticipant(
        training=locked, bkm=bkm, unit=unit, name=" ".join(name.split()), position=position.strip(), registered_by=user
    )
    participant.full_clean()
    participant.save()
    return participant


@transaction.atomic
def training_participant_remove(
    *, user: Any, participant: TrainingParticipant, today: datetime.date | None = None
) -> None:
    perms.check_register_participant(user, participant.bkm)
    training = Training.objects.select_for_update().get(pk=participant.training_id)
    if not training_registration_open(training, today=today):
        raise ValidationError(_("Peserta tidak dapat dibatalkan setelah pelatihan dimulai."))
    participant.delete()


@transaction.atomic
def training_record_attendance(
    *, user: Any, training: Training, present_ids: Iterable[int], today: datetime.date | None = None
) -> int:
    """Mark the listed participants hadir and every other participant tidak hadir; returns how many were present."""
    perms.check_record_attendance(user)
    locked = Training.objects.select_for_update().get(pk=training.pk)
    if not training_attendance_open(locked, today=today):
        raise ValidationError(_("Kehadiran dicatat setelah pelatihan dimulai."))
    present = set(present_ids)
    now = timezone.now()
    participants = locked.participants.all()
    unknown = present - set(participants.values_list("pk", flat=True))
    if unknown:
        raise ValidationError(_("Sebagian peserta yang dicentang bukan peserta pelatihan ini."))
    common = {"attendance_recorded_by": user, "attendance_recorded_at": now}
    participants.filter(pk__in=present).update(attendance=Attendance.HADIR, **common)
    participants.exclude(pk__in=present).update(attendance=Attendance.TIDAK_HADIR, **common)
    return len(present)
