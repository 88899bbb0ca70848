"""Library and training records for tests, made through the services (as staff would)."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bkm.demo_extra import minimal_pdf
from bkm.models import AssessmentAspect
from forum import library_services as services
from forum.models import Material, MaterialCategory, Training


def pdf(name: str = "materi.pdf", title: str = "Materi") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, minimal_pdf(title, ["isi"]), content_type="application/pdf")


def aspect(code: str) -> AssessmentAspect:
    return AssessmentAspect.objects.get(code=code)


def make_material(
    staff, *, title: str = "Juknis uji", description: str = "", codes=(), category: str = "juknis", **kw
) -> Material:
    return services.material_create(
        user=staff,
        category=MaterialCategory.objects.get(slug=category),
        title=title,
        description=description,
        aspects=[aspect(c) for c in codes],
        upload=pdf(),
        **kw,
    )


def make_training(staff, *, days: int = 10, capacity: int = 5, codes=(), title: str = "Pelatihan uji") -> Training:
    return services.training_create(
        user=staff,
        title=title,
        topic="Topik uji",
        starts_on=timezone.localdate() + datetime.timedelta(days=days),
        place="Aula",
        capacity=capacity,
        aspects=[aspect(c) for c in codes],
    )
