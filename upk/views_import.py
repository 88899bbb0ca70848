"""Import screens: template download, upload, progress (htmx-polled)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.outbox import QUEUE_UNREACHABLE_MESSAGE

from . import permissions
from .forms import ImportForm
from .jobs import import_job_create, import_job_waiting_for_queue
from .models import ImportJob
from .queries import screen_flags, upk_for_posting, upk_for_view
from .services.imports import template_workbook

MAX_UPLOAD = 10 * 1024 * 1024


@login_required
def template_download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        template_workbook(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="template-impor-buku-upk.xlsx"'
    return response


@login_required
def import_start(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_posting(request.user, upk_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = upload.name or ""
        if not name.lower().endswith((".xlsx", ".csv")):
            form.add_error("file", "Berkas harus .xlsx atau .csv.")
        elif upload.size > MAX_UPLOAD:
            form.add_error("file", "Berkas lebih dari 10 MB.")
        else:
            try:
                job = import_job_create(
                    upk=upk, upload=upload, original_name=name, dry_run=form.cleaned_data["dry_run"], actor=request.user
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                if import_job_waiting_for_queue(job=job):
                    messages.warning(request, QUEUE_UNREACHABLE_MESSAGE)
                return redirect("upk:import_status", job_id=job.pk)
    jobs = ImportJob.objects.filter(upk=upk).select_related("created_by")[:10]
    return render(request, "upk/import.html", screen_flags(request, upk, form=form, jobs=jobs))


@login_required
def import_status(request: HttpRequest, job_id: int) -> HttpResponse:
    job = ImportJob.objects.select_related("upk", "upk__bkm").filter(pk=job_id).first()
    if job is None:
        raise Http404
    upk_for_view(request.user, job.upk_id)
    permissions.check_view_borrowers(request.user, job.upk)
    template = "upk/_import_progress.html" if request.htmx else "upk/import_status.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        screen_flags(request, job.upk, job=job),
    )
