"""Self-service screens (issue 15): what a BKM coordinator submits — proposals (their
detail page lives in bkm.views), the annual LPJ and slum-measure updates — and the
secretariat's verification. Thin: rules in bkm.permissions, writes in bkm.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import exports
from core.filters import filterset
from core.permissions import is_staff
from core.storage import open_stored

from . import permissions as perms
from . import selectors, services
from .filters import SubmissionFilterSet
from .forms import (
    LPJForm,
    ProposalAttachmentForm,
    SlumMeasureUpdateForm,
    VerifyForm,
    add_service_errors,
)
from .models import (
    BKM,
    SLUM_ASPECTS,
    LPJReport,
    ProposalAttachment,
    SlumArea,
    SlumMeasure,
    SlumMeasureUpdate,
    SubmissionStatus,
)
from .views import _detail_url, _form_page, _get_bkm_for_view, _get_proposal, _post

PAGE_SIZE = 25


# --- Where each submission stands ----------------------------------------------------------


def _submission_filterset(request: HttpRequest) -> tuple[SubmissionFilterSet, list[selectors.SubmissionRow]]:
    """The list's filters and the rows they keep: the page, page 2 and both exports use it.
    Staff land on the verification queue: waiting submissions unless they chose a stage ("Semua" is one)."""
    staff = is_staff(request.user)
    data = request.GET.copy()
    if staff and "tahap" not in data:
        data["tahap"] = selectors.Stage.WAITING
    fs = filterset(SubmissionFilterSet, data, perms.filter_bkms_for(request.user), staff=staff)
    return fs, selectors.submission_rows(user=request.user, **fs.selector_kwargs())


@login_required
def submissions(request: HttpRequest) -> HttpResponse:
    """ "Pengajuan saya" for a BKM's users; the verification queue for staff (waiting ones first by default)."""
    staff = is_staff(request.user)
    fs, rows = _submission_filterset(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    bkm: BKM | None = None
    areas: list[SlumArea] = []
    if not staff and getattr(request.user, "is_bkm_member", False):
        bkm = perms.filter_bkms_for(request.user).select_related("kelurahan").first()
        if bkm is not None and perms.can_submit_for(request.user, bkm):
            areas = list(SlumArea.objects.filter(kelurahan_id=bkm.kelurahan_id).order_by("name"))
    return render(
        request,
        "bkm/submissions.html",
        {
            "form": fs.form,
            "page_obj": page,
            "is_staff": staff,
            "bkm": bkm,
            "can_submit": bkm is not None and perms.can_submit_for(request.user, bkm),
            "areas": areas,
            "notices": selectors.notices_for(user=request.user),
            "querystring": request.GET.urlencode(),
        },
    )


def _submission_export_rows(request: HttpRequest) -> list[list[Any]]:
    """Exactly the filtered rows of the page (every page), with the same scoping."""
    _fs, rows = _submission_filterset(request)
    header = [
        _("Jenis"),
        _("Pengajuan"),
        _("BKM/LKM"),
        _("Tahap"),
        _("Status"),
        _("Terakhir"),
        _("Catatan pengembalian"),
    ]
    return [
        header,
        *(
            [
                r.kind_label,
                r.title,
                r.bkm.name,
                r.stage_label,
                r.status_label,
                timezone.localtime(r.at).strftime("%d-%m-%Y %H:%M") if r.at else "",
                r.review_note,
            ]
            for r in rows
        ),
    ]


def _submission_export_name(ext: str) -> str:
    return f"pengajuan-bkm-{timezone.localdate():%Y%m%d}.{ext}"


@login_required
def submissions_export_csv(request: HttpRequest) -> HttpResponse:
    return exports.csv_response(filename=_submission_export_name("csv"), rows=_submission_export_rows(request))


@login_required
def submissions_export_xlsx(request: HttpRequest) -> HttpResponse:
    return exports.xlsx_response(
        filename=_submission_export_name("xlsx"), rows=_submission_export_rows(request), title=_("Pengajuan BKM")
    )


@login_required
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    services.notices_mark_read(user=request.user)
    return redirect("bkm:submissions")


@login_required
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(perms.filter_notices_for(request.user), pk=pk)
    services.notices_mark_read(user=request.user, ids=[notice.pk])
    # The stored url is a path the portal built; refuse anything else.
    if not url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None) or not notice.url.startswith("/"):
        raise Http404
    return redirect(notice.url)


# --- Proposal attachments --------------------------------------------------------------------


@login_required
def proposal_attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(request, pk)
    perms.check_proposal_edit(request.user, proposal)
    form = ProposalAttachmentForm(_post(request), request.FILES or None)
    back = reverse("bkm:proposal_detail", args=[proposal.pk])
    return _form_page(
        request,
        form=form,
        title=_("Lampiran usulan: %(title)s") % {"title": proposal.title},
        back=back,
        save=lambda f: services.proposal_attachment_add(
            proposal=proposal, upload=f.cleaned_data["file"], title=f.cleaned_data["title"], actor=request.user
        ),
        success=_("Lampiran diunggah."),
        next_url=back,
        multipart=True,
        bkm=proposal.bkm,
    )


def _download(name: str, *, what: str, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(
        open_stored(name, what=what), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def proposal_attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(ProposalAttachment.objects.select_related("proposal__bkm"), pk=pk)
    perms.check_proposal_attachment_download(request.user, attachment)
    return _download(
        attachment.file.name,
        what=f"proposal attachment {attachment.pk}",
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


# --- The verification form shared by LPJs and measure updates ---------------------------------


def _verify(request: HttpRequest, submission: Any, service: Any, id_kw: str) -> tuple[VerifyForm | None, bool]:
    """(form, done): a staff admin's POST accepts or returns; others get no form (403 on POST)."""
    if request.method == "POST":
        perms.check_submission_verify(request.user, submission)
        form = VerifyForm(request.POST)
        if form.is_valid():
            try:
                service(
                    **{id_kw: submission.pk}, accept=form.accept, note=form.cleaned_data["note"], actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Pengajuan diterima.") if form.accept else _("Pengajuan dikembalikan ke BKM.")
                )
                return form, True
        return form, False
    show = perms.can_verify(request.user) and submission.status == SubmissionStatus.DIAJUKAN
    return (VerifyForm() if show else None), False


# --- LPJ ---------------------------------------------------------------------------------------


@login_required
def lpj_create(request: HttpRequest, pk: int) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_submit_for(request.user, bkm)
    form = LPJForm(_post(request), request.FILES or None)
    return _form_page(
        request,
        form=form,
        title=_("Unggah LPJ tahunan"),
        back=reverse("bkm:submissions"),
        save=lambda f: services.lpj_submit(
            bkm=bkm,
            year=f.cleaned_data["year"],
            upload=f.cleaned_data["file"],
            note=f.cleaned_data["note"],
            actor=request.user,
        ),
        success=_("LPJ diajukan untuk verifikasi."),
        next_url=lambda r: reverse("bkm:lpj_detail", args=[r.pk]),
        multipart=True,
        bkm=bkm,
    )


def _get_lpj(request: HttpRequest, pk: int) -> LPJReport:
    try:
        report = selectors.lpj_detail(pk=pk)
    except LPJReport.DoesNotExist as exc:
        raise Http404 from exc
    perms.check_submission_view(request.user, report)
    return report


@login_required
def lpj_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_lpj(request, pk)
    perms.check_submission_resubmit(request.user, report)
    form = LPJForm(_post(request), request.FILES or None, initial={"year": report.year, "note": report.note})
    return _form_page(
        request,
        form=form,
        title=_("Perbaiki dan ajukan ulang LPJ"),
        back=reverse("bkm:lpj_detail", args=[report.pk]),
        save=lambda f: services.lpj_submit(
            bkm=report.bkm,
            year=f.cleaned_data["year"],
            upload=f.cleaned_data["file"],
            note=f.cleaned_data["note"],
            actor=request.user,
            report=report,
        ),
        success=_("LPJ diajukan ulang untuk verifikasi."),
        next_url=reverse("bkm:lpj_detail", args=[report.pk]),
        multipart=True,
        bkm=report.bkm,
    )


@login_required
def lpj_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_lpj(request, pk)
    form, done = _verify(request, report, services.lpj_verify, "report_id")
    if done:
        return redirect("bkm:lpj_detail", pk=report.pk)
    return render(
        request,
        "bkm/lpj_detail.html",
        {"report": report, "form": form, "can_resubmit": perms.can_resubmit(request.user, report)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def lpj_download(request: HttpRequest, pk: int) -> FileResponse:
    report = _get_lpj(request, pk)
    return _download(
        report.file.name, what=f"LPJ {report.pk}", filename=report.original_name, content_type=report.content_type
    )


# --- Slum-measure updates ------------------------------------------------------------------------


@login_required
def measure_update_create(request: HttpRequest, pk: int, area_pk: int) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_submit_for(request.user, bkm)
    # Only the slum areas of the BKM's own kelurahan: another's is out of scope.
    area = get_object_or_404(SlumArea, pk=area_pk, kelurahan_id=bkm.kelurahan_id)
    latest = SlumMeasure.objects.filter(slum_area=area).order_by("-year").first()
    initial = {f: getattr(latest, f) for f, _l in SLUM_ASPECTS} if latest else {}
    form = SlumMeasureUpdateForm(_post(request), instance=SlumMeasureUpdate(bkm=bkm, slum_area=area), initial=initial)
    return _form_page(
        request,
        form=form,
        title=_("Usulkan pengukuran kekumuhan: %(area)s") % {"area": area.name},
        back=reverse("bkm:submissions"),
        save=lambda f: services.slum_measure_update_submit(
            bkm=bkm, area=area, data=f.cleaned_data, note=f.cleaned_data["note"], actor=request.user
        ),
        success=_("Usulan pengukuran diajukan untuk verifikasi."),
        next_url=lambda u: reverse("bkm:measure_update_detail", args=[u.pk]),
        bkm=bkm,
    )


def _get_measure_update(request: HttpRequest, pk: int) -> SlumMeasureUpdate:
    try:
        update = selectors.measure_update_detail(pk=pk)
    except SlumMeasureUpdate.DoesNotExist as exc:
        raise Http404 from exc
    perms.check_submission_view(request.user, update)
    return update


@login_required
def measure_update_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    update = _get_measure_update(request, pk)
    perms.check_submission_resubmit(request.user, update)
    form = SlumMeasureUpdateForm(_post(request), instance=update, initial={"note": update.note})
    return _form_page(
        request,
        form=form,
        title=_("Perbaiki dan ajukan ulang pengukuran: %(area)s") % {"area": update.slum_area.name},
        back=reverse("bkm:measure_update_detail", args=[update.pk]),
        save=lambda f: services.slum_measure_update_submit(
            bkm=update.bkm,
            area=update.slum_area,
            data=f.cleaned_data,
            note=f.cleaned_data["note"],
            actor=request.user,
            update=update,
        ),
        success=_("Usulan pengukuran diajukan ulang untuk verifikasi."),
        next_url=reverse("bkm:measure_update_detail", args=[update.pk]),
        bkm=update.bkm,
    )


@login_required
def measure_update_detail(request: HttpRequest, pk: int) -> HttpResponse:
    update = _get_measure_update(request, pk)
    form, done = _verify(request, update, services.slum_measure_update_verify, "update_id")
    if done:
        return redirect("bkm:measure_update_detail", pk=update.pk)
    current = SlumMeasure.objects.filter(slum_area=update.slum_area, year=update.year).first()
    rows = [(str(label), getattr(current, f) if current else None, getattr(update, f)) for f, label in SLUM_ASPECTS]
    return render(
        request,
        "bkm/measure_update_detail.html",
        {
            "update": update,
            "rows": rows,
            "current": current,
            "form": form,
            "can_resubmit": perms.can_resubmit(request.user, update),
            "back": _detail_url(update.bkm, "kumuh"),
        },
        status=400 if request.method == "POST" else 200,
    )
