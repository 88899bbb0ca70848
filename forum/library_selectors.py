"""Reads of the capacity-building library and trainings, and the BKM page's suggestions.

Every list is narrowed by `forum.permissions.filter_visible_*` first; the views' FilterSets
(`forum/filters.py`) and exports work on what these return.

The one rule linking the annual assessment to capacity building (`weak_aspects`): an aspect
of a BKM's latest assessment is weak when its score is below `FORUM_CAPACITY_WEAK_SCORE`
(default 60 of 100). Materials and trainings tagged with a weak aspect (the same
`bkm.AssessmentAspect` rows the assessment scores) are suggested on the BKM page.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bkm.models import Assessment, AssessmentScore

from . import conf
from . import permissions as perms
from .models import Attendance, Material, MaterialVersion, Training, TrainingParticipant

SUGGESTIONS_PER_KIND = 5


def material_list(*, user: Any) -> QuerySet[Material]:
    return (
        perms.filter_visible_materials(user, Material.objects.all())
        .select_related("category", "current_version", "current_version__uploaded_by")
        .prefetch_related("aspects")
    )


def material_versions(*, material: Material) -> list[MaterialVersion]:
    return list(material.versions.select_related("uploaded_by").order_by("-number"))


def material_export_rows(qs: Iterable[Material]) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [_("Judul"), _("Kategori"), _("Aspek"), _("Versi terbaru"), _("Diunggah"), _("Pengunggah"), _("Uraian")]
    ]
    for m in qs:
        v = m.current_version
        rows.append(
            [
                m.title,
                m.category.name,
                ", ".join(a.name for a in m.aspects.all()),
                v.number if v else "",
                timezone.localtime(v.uploaded_at).replace(tzinfo=None) if v else "",
                str(v.uploaded_by) if v else "",
                m.description,
            ]
        )
    return rows


def trainings_upcoming_q(today: datetime.date | None = None) -> Q:
    """A training is upcoming until its last day has passed (one rule for lists, filters and suggestions)."""
    today = today or timezone.localdate()
    return Q(ends_on__gte=today) | Q(ends_on__isnull=True, starts_on__gte=today)


def training_list(*, user: Any) -> QuerySet[Training]:
    return (
        perms.filter_visible_trainings(user, Training.objects.all())
        .select_related("organiser_opd")
        .prefetch_related("aspects")
        .annotate(
            registered=Count("participants", distinct=True),
            present=Count("participants", filter=Q(participants__attendance=Attendance.HADIR), distinct=True),
        )
    )


def training_participants(*, user: Any, training: Training) -> list[TrainingParticipant]:
    return list(
        perms.filter_visible_participants(user, training.participants.all()).select_related(
            "bkm", "unit", "registered_by", "attendance_recorded_by"
        )
    )


def training_export_rows(qs: Iterable[Training]) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            _("Judul"),
            _("Topik"),
            _("Aspek"),
            _("Tanggal mulai"),
            _("Tanggal selesai"),
            _("Tempat"),
            _("Penyelenggara"),
            _("Kapasitas"),
            _("Terdaftar"),
            _("Hadir"),
        ]
    ]
    for t in qs:
        rows.append(
            [
                t.title,
                t.topic,
                ", ".join(a.name for a in t.aspects.all()),
                t.starts_on,
                t.ends_on,
                t.place,
                t.organiser_name,
                t.capacity,
                getattr(t, "registered", ""),
                getattr(t, "present", ""),
            ]
        )
    return rows


# --- Suggestions on the BKM page ---------------------------------------------------------------


def weak_aspects(assessment: Assessment | None) -> list[AssessmentScore]:
    """The assessment's aspects scored below the weak threshold, weakest first."""
    if assessment is None:
        return []
    threshold = Decimal(conf.get("FORUM_CAPACITY_WEAK_SCORE"))
    return sorted((s for s in assessment.scores.all() if s.score < threshold), key=lambda s: (s.score, s.aspect_id))


@dataclass
class CapacitySuggestions:
    assessment: Assessment | None
    weak: list[AssessmentScore] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)
    trainings: list[Training] = field(default_factory=list)
    threshold: int = 0


def capacity_suggestions(
    *, user: Any, bkm: Any, assessments: Sequence[Assessment] | None = None
) -> CapacitySuggestions | None:
    """What the BKM page suggests from its latest assessment's weak aspects (None: not for this reader).

    `assessments` may be the page's already loaded list (newest year first, scores and
    aspects prefetched, as `bkm.selectors.bkm_profile` gives it); three queries otherwise,
    two when there is no weak aspect.
    """
    if not perms.can_read_library(user):
        return None
    if assessments is None:
        latest = Assessment.objects.filter(bkm=bkm).prefetch_related("scores__aspect").order_by("-year").first()
    else:
        latest = max(assessments, key=lambda a: a.year, default=None)
    result = CapacitySuggestions(assessment=latest, threshold=conf.get("FORUM_CAPACITY_WEAK_SCORE"))
    result.weak = weak_aspects(latest)
    if not result.weak:
        return result
    aspect_ids = [s.aspect_id for s in result.weak]
    result.materials = list(
        perms.filter_visible_materials(user, Material.objects.filter(aspects__in=aspect_ids, is_archived=False))
        .select_related("category", "current_version")
        .distinct()
        .order_by("-updated_at", "-id")[:SUGGESTIONS_PER_KIND]
    )
    result.trainings = list(
        perms.filter_visible_trainings(user, Training.objects.filter(trainings_upcoming_q(), aspects__in=aspect_ids))
        .select_related("organiser_opd")
        .distinct()
        .order_by("starts_on", "id")[:SUGGESTIONS_PER_KIND]
    )
    return result
