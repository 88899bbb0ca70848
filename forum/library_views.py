"""Capacity-building pages (library and trainings): thin; permissions from forum.permissions,
reads from library_selectors, writes through library_services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bkm.models import BKM
from core import exports
from core.filters import filterset
from core.params import is_number
from core.storage import open_stored

from . import conf
from . import library_selectors as selectors
from . import library_services as services
from . import permissions as perms
from .filters import MaterialFilterSet, TrainingFilterSet
from .library_forms import MaterialForm, MaterialVersionForm, ParticipantForm, TrainingForm
from .models import Material, MaterialVersion, Training, TrainingParticipant


def _form_errors(form: Any, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


# --- Library ----------------------------------------------------------------------------------


@login_required
def library(request: HttpRequest) -> HttpResponse:
    perms.check_read_library(request.user)
    fs = filterset(MaterialFilterSet, request.GET, selectors.material_list(user=request.user))
    if fmt := exports.requested_format(request):
        return exports.table_response(
            fmt=fmt,
            filename=f"pustaka-{timezone.localdate():%Y%m%d}",
            rows=selectors.material_export_rows(fs.qs),
            title=_("Pustaka"),
        )
    page = Paginator(fs.qs, conf.get("FORUM_LIBRARY_PER_PAGE")).get_page(request.GET.get("page"))
    return render(
        request,
        "forum/library.html",
        {"filter": fs.form, "page_obj": page, "can_manage": perms.can_manage_library(request.user)},
    )


def _get_material(request: HttpRequest, pk: int) -> Material:
    material = get_object_or_404(Material.objects.select_related("category", "current_version"), pk=pk)
    perms.check_view_material(request.user, material)
    return material


@login_required
def material_detail(request: HttpRequest, pk: int) -> HttpResponse:
    material = _get_material(request, pk)
    return render(
        request,
        "forum/material_detail.html",
        {
            "material": material,
            "versions": selectors.material_versions(material=material),
            "aspects": list(material.aspects.all()),
            "can_manage": perms.can_manage_library(request.user),
        },
    )


@login_required
def material_create(request: HttpRequest) -> HttpResponse:
    perms.check_manage_library(request.user)
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            material = services.material_create(
                user=request.user,
                category=data["category"],
                title=data["title"],
                description=data["description"],
                aspects=data["aspects"],
                upload=data["file"],
                note=data["note"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Materi ditambahkan ke pustaka."))
            return redirect("forum:material", pk=material.pk)
    return render(
        request, "forum/library_form.html", {"form": form, "title": _("Tambah materi pustaka"), "multipart": True}
    )


@login_required
def material_edit(request: HttpRequest, pk: int) -> HttpResponse:
    material = _get_material(request, pk)
    perms.check_manage_library(request.user)
    initial = {
        "category": material.category,
        "title": material.title,
        "description": material.description,
        "aspects": list(material.aspects.all()),
        "is_archived": material.is_archived,
    }
    form = MaterialForm(request.POST or None, initial=initial, with_file=False, with_archive=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.material_update(
                user=request.user,
                material=material,
                category=data["category"],
                title=data["title"],
                description=data["description"],
                aspects=data["aspects"],
                is_archived=data["is_archived"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Materi diperbarui."))
            return redirect("forum:material", pk=material.pk)
    return render(
        request,
        "forum/library_form.html",
        {"form": form, "title": _("Ubah materi"), "back_url": reverse("forum:material", args=[material.pk])},
    )


@login_required
def material_version_add(request: HttpRequest, pk: int) -> HttpResponse:
    material = _get_material(request, pk)
    perms.check_manage_library(request.user)
    form = MaterialVersionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.material_add_version(
                user=request.user, material=material, upload=form.cleaned_data["file"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request, _("Versi %(n)d diunggah; versi lama tetap dapat diunduh.") % {"n": version.number}
            )
            return redirect("forum:material", pk=material.pk)
    return render(
        request,
        "forum/library_form.html",
        {
            "form": form,
            "title": _("Unggah versi baru: %(t)s") % {"t": material.title},
            "multipart": True,
            "back_url": reverse("forum:material", args=[material.pk]),
        },
    )


@login_required
def material_download(request: HttpRequest, pk: int, number: int) -> FileResponse:
    version = get_object_or_404(MaterialVersion.objects.select_related("material"), material_id=pk, number=number)
    perms.check_view_material(request.user, version.material)
    handle = open_stored(version.file.name, what=f"library material {pk} version {number}")
    response = FileResponse(
        handle, content_type=version.content_type, as_attachment=True, filename=version.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    # A downloaded file opened in the browser gets no script and no origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Trainings --------------------------------------------------------------------------------


@login_required
def training_list(request: HttpRequest) -> HttpResponse:
    perms.check_read_library(request.user)
    fs = filterset(TrainingFilterSet, request.GET, selectors.training_list(user=request.user))
    if fmt := exports.requested_format(request):
        return exports.table_response(
            fmt=fmt,
            filename=f"pelatihan-{timezone.localdate():%Y%m%d}",
            rows=selectors.training_export_rows(fs.qs),
            title=_("Pelatihan"),
        )
    # One list by date, latest first (upcoming ones on top), each marked upcoming or past; the
    # `waktu` filter keeps one kind.
    qs = fs.qs.order_by("-starts_on", "-id")
    upcoming_ids = set(qs.filter(selectors.trainings_upcoming_q()).values_list("pk", flat=True))
    page = Paginator(qs, conf.get("FORUM_LIBRARY_PER_PAGE")).get_page(request.GET.get("page"))
    return render(
        request,
        "forum/trainings.html",
        {
            "filter": fs.form,
            "page_obj": page,
            "upcoming_ids": upcoming_ids,
            "can_manage": perms.can_manage_trainings(request.user),
        },
    )


def _get_training(request: HttpRequest, pk: int) -> Training:
    training = get_object_or_404(Training.objects.select_related("organiser_opd", "created_by"), pk=pk)
    perms.check_view_training(request.user, training)
    return training


@login_required
def training_detail(request: HttpRequest, pk: int, participant_form: Any = None) -> HttpResponse:
    training = _get_training(request, pk)
    participants = selectors.training_participants(user=request.user, training=training)
    registered = training.participants.count()
    registrable = perms.filter_registrable_bkms(request.user, BKM.objects.all())
    can_register = perms.can_register_participants(request.user) and services.training_registration_open(training)
    if can_register and participant_form is None:
        participant_form = ParticipantForm(bkms=registrable)
    can_remove_for = set(registrable.values_list("pk", flat=True)) if can_register else set()
    return render(
        request,
        "forum/training_detail.html",
        {
            "training": training,
            "aspects": list(training.aspects.all()),
            "participants": participants,
            "registered": registered,
            "seats_left": max(training.capacity - registered, 0),
            "participant_form": participant_form if can_register else None,
            "can_remove_for": can_remove_for,
            "can_manage": perms.can_manage_trainings(request.user),
            "can_record_attendance": perms.can_manage_trainings(request.user)
            and services.training_attendance_open(training),
        },
    )


@login_required
def training_create(request: HttpRequest) -> HttpResponse:
    perms.check_manage_trainings(request.user)
    form = TrainingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        aspects = data.pop("aspects")
        try:
            training = services.training_create(user=request.user, aspects=aspects, **data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Pelatihan dijadwalkan."))
            return redirect("forum:training", pk=training.pk)
    return render(request, "forum/library_form.html", {"form": form, "title": _("Jadwalkan pelatihan")})


@login_required
def training_edit(request: HttpRequest, pk: int) -> HttpResponse:
    training = _get_training(request, pk)
    perms.check_manage_trainings(request.user)
    form = TrainingForm(request.POST or None, instance=training)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        aspects = data.pop("aspects")
        try:
            services.training_update(user=request.user, training=training, data=data, aspects=aspects)
        except ValidationError as exc:
            training.refresh_from_db()
            _form_errors(form, exc)
        else:
            messages.success(request, _("Pelatihan diperbarui."))
            return redirect("forum:training", pk=training.pk)
    return render(
        request,
        "forum/library_form.html",
        {"form": form, "title": _("Ubah pelatihan"), "back_url": reverse("forum:training", args=[training.pk])},
    )


@login_required
@require_POST
def training_participant_add(request: HttpRequest, pk: int) -> HttpResponse:
    training = _get_training(request, pk)
    form = ParticipantForm(request.POST, bkms=perms.filter_registrable_bkms(request.user, BKM.objects.all()))
    if not form.is_valid():
        messages.error(request, _("Periksa isian peserta."))
        return training_detail(request, pk, participant_form=form)
    data = form.cleaned_data
    try:
        services.training_participant_add(
            user=request.user,
            training=training,
            bkm=data["bkm"],
            unit=data["unit"],
            name=data["name"],
            position=data["position"],
        )
    except ValidationError as exc:
        _form_errors(form, exc)
        return training_detail(request, pk, participant_form=form)
    messages.success(request, _("Peserta didaftarkan."))
    return redirect("forum:training", pk=training.pk)


@login_required
@require_POST
def training_participant_remove(request: HttpRequest, pk: int) -> HttpResponse:
    participant = get_object_or_404(
        perms.filter_visible_participants(request.user, TrainingParticipant.objects.select_related("bkm")), pk=pk
    )
    try:
        services.training_participant_remove(user=request.user, participant=participant)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Pendaftaran peserta dibatalkan."))
    return redirect("forum:training", pk=participant.training_id)


@login_required
@require_POST
def training_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    training = _get_training(request, pk)
    present = [int(v) for v in request.POST.getlist("present") if is_number(v) and len(v) < 12]
    try:
        n = services.training_record_attendance(user=request.user, training=training, present_ids=present)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Kehadiran dicatat: %(n)d peserta hadir.") % {"n": n})
    return redirect("forum:training", pk=training.pk)
