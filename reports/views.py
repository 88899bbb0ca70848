from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.db_router import use_replica
from core.filters import filterset
from core.outbox import QUEUE_UNREACHABLE_MESSAGE, runs_in_process
from core.permissions import is_staff, is_staff_admin
from core.storage import open_stored

from . import kept
from .dashboard import dashboard_panels, panel_html
from .filters import RunFilterSet, WarningFilterSet
from .forms import AcknowledgeWarningForm
from .models import ReportRun, ReportSubscription, RunStatus
from .permissions import (
    available_report_types,
    check_dashboard,
    check_report_request,
    check_run_access,
    check_warning_acknowledge,
    filter_runs,
)
from .registry import UnknownReportType, all_report_types, get_report_type
from .selectors import report_run_list
from .services import (
    report_download_name,
    report_request,
    report_run_waiting_for_queue,
    report_subscription_set,
    warning_acknowledge,
)
from .warnings import KIND_LABELS, collect_warnings, group_by_kind, summary_token, warning_summary

RUNS_PER_PAGE = 20
WARNINGS_SHOWN = 25
WARNINGS_PER_PAGE = 50


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    fs = filterset(RunFilterSet, request.GET, report_run_list(qs=filter_runs(request.user, ReportRun.objects.all())))
    page = Paginator(fs.qs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    subscribed = set(
        ReportSubscription.objects.filter(user_id=request.user.pk or 0, is_active=True).values_list(
            "report_type", flat=True
        )
    )
    schedulable = [rt for rt in all_report_types() if rt.is_schedulable] if is_staff(request.user) else []
    return render(
        request,
        "reports/run_list.html",
        {
            "page_obj": page,
            "runs": page.object_list,
            "filter": fs.form,
            "schedulable": [(rt, rt.name in subscribed) for rt in schedulable],
            "is_staff_view": is_staff(request.user),
        },
    )


@login_required
def request_choose(request: HttpRequest) -> HttpResponse:
    types = available_report_types(request.user)
    if not types:
        raise Http404
    return render(request, "reports/request_choose.html", {"types": types})


@login_required
def request_form(request: HttpRequest, report_type: str) -> HttpResponse:
    try:
        rt = get_report_type(report_type)
    except UnknownReportType:
        raise Http404 from None
    if rt not in available_report_types(request.user):
        raise Http404
    if request.method == "POST":
        # Another BKM's or UPK's id is a 404 before any form error could hint that it exists.
        check_report_request(request.user, rt, request.POST.dict())
    params_form_class = rt.module().Params
    form = params_form_class(request.POST or None, user=request.user)
    token = _request_token(request, rt.name)
    if request.method == "POST" and form.is_valid():
        try:
            run = report_request(user=request.user, report_type=rt.name, params=form.to_params(), request_token=token)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if report_run_waiting_for_queue(run=run):
                messages.warning(request, QUEUE_UNREACHABLE_MESSAGE)
            elif runs_in_process():
                messages.success(request, _("Laporan sedang dibuat; kemajuannya tampil di bawah."))
            else:
                messages.success(request, _("Permintaan laporan dicatat dan masuk antrean."))
            return redirect("reports:run_detail", pk=run.pk)
    shown_token = request.POST["request_token"] if token else _token_signer(request, rt.name).sign(str(uuid.uuid4()))
    return render(request, "reports/request_form.html", {"report_type": rt, "form": form, "request_token": shown_token})


def _token_signer(request: HttpRequest, report_type: str) -> signing.Signer:
    return signing.Signer(salt=f"reports.request-token:{request.user.pk}:{report_type}")


def _request_token(request: HttpRequest, report_type: str) -> uuid.UUID | None:
    """The form's one-time token, made and signed by the server for this user and report type when
    the form was shown; a missing, made-up or copied one (another user's, another report's) is absent."""
    try:
        return uuid.UUID(_token_signer(request, report_type).unsign(str(request.POST.get("request_token", ""))))
    except (signing.BadSignature, ValueError):
        return None


def _visible_run(request: HttpRequest, pk: int) -> ReportRun:
    run = get_object_or_404(ReportRun.objects.select_related("requested_by"), pk=pk)
    check_run_access(request.user, run)
    return run


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _visible_run(request, pk)
    return render(request, "reports/run_detail.html", {"run": run})


@login_required
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment htmx polls; it stops polling once the run has ended."""
    run = _visible_run(request, pk)
    return render(request, "reports/_run_status.html", {"run": run})


@login_required
def run_download(request: HttpRequest, pk: int) -> FileResponse:
    run = _visible_run(request, pk)
    if run.status != RunStatus.DONE or not run.pdf:
        raise Http404
    handle = open_stored(run.pdf.name, what=f"report run {run.pk}")
    response = FileResponse(
        handle, as_attachment=True, filename=report_download_name(run), content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def subscription_toggle(request: HttpRequest, report_type: str) -> HttpResponse:
    active = request.POST.get("active") == "1"
    report_subscription_set(user=request.user, report_type=report_type, active=active)
    if active:
        messages.success(request, _("Anda akan menerima surel saat laporan terjadwal ini selesai."))
    else:
        messages.info(request, _("Langganan surel dihentikan."))
    return redirect("reports:run_list")


@login_required
@use_replica  # reads from the read replica when one is configured (core/db_router.py)
def dashboard(request: HttpRequest) -> HttpResponse:
    check_dashboard(request.user)
    if request.GET.get("peringatan") == "semua":
        # Every warning is the warnings list's job (paginated, filtered by kind): at province scale there are
        # thousands, which the dashboard built and rendered in one table.
        kind = request.GET.get("jenis", "")
        query = f"?{urlencode({'jenis': kind})}" if kind in KIND_LABELS else ""
        return redirect(reverse("reports:warning_list") + query)
    tokens = kept.tokens()
    panels = [panel_html(panel, request.user, tokens) for panel in dashboard_panels()]
    # The early warnings card, below the panels, is its own fragment (`dashboard_warnings`) loaded by htmx
    # once the page is shown: its rules are half the dashboard's cost at province scale (14 round trips),
    # and the figures above it need not wait for them.
    return render(request, "reports/dashboard.html", {"panels": panels})


# Stands for the CSRF token in a kept warnings card (letters only: escaping leaves it as it is).
_CSRF_SLOT = "pokjaCsrfSlot" + uuid.uuid4().hex


@login_required
@use_replica
def dashboard_warnings(request: HttpRequest) -> HttpResponse:
    """The dashboard's early warnings card: every kind counted, the first WARNINGS_SHOWN built.

    The card is the same for every staff user who may (or may not) acknowledge, but for the CSRF token of
    its forms: it is kept rendered (`reports.kept`) under the token its warnings are kept under, with a
    slot for the token, which each request fills with its own (25 rows of forms were nine tenths of its
    CPU once the warnings themselves were kept)."""
    check_dashboard(request.user)
    can_acknowledge = is_staff_admin(request.user)
    tokens = kept.tokens()
    failed: list[object] = []  # the providers that failed while the card was computed (not kept then)

    def card() -> str:
        # Counted per kind, only the shown ones built (thousands of BKM warnings at province scale).
        summary = warning_summary(shown=WARNINGS_SHOWN, tokens=tokens)
        failed.extend(g for g in summary.groups if g.kind == "provider-error")
        context = {
            "warnings": summary.items,
            "warnings_total": summary.total,
            "warnings_open": summary.open_total,
            "warning_groups": summary.groups,
            "can_acknowledge": can_acknowledge,
            "csrf_token": _CSRF_SLOT,
        }
        return render_to_string("reports/dashboard/_warnings.html", context, request)

    html = kept.kept(
        f"warnings-card:{WARNINGS_SHOWN}:{int(can_acknowledge)}",
        summary_token(tokens),
        card,
        keep=lambda _html: not failed,
    )
    return HttpResponse(html.replace(_CSRF_SLOT, get_token(request)))


@login_required
def warning_list(request: HttpRequest) -> HttpResponse:
    """Early warnings, filtered (WarningFilterSet: kind, severity, kecamatan, answered), a page of
    WARNINGS_PER_PAGE at a time grouped by kind; the counts are of every matching warning. A kind asked for
    runs only its providers."""
    check_dashboard(request.user)
    kind = request.GET.get("jenis", "")
    fs = filterset(WarningFilterSet, request.GET, collect_warnings(kind=kind if kind in KIND_LABELS else ""))
    items = fs.qs
    page = Paginator(items, WARNINGS_PER_PAGE).get_page(request.GET.get("page"))
    totals = {g.kind: g for g in group_by_kind(items)}
    groups = group_by_kind(page.object_list)
    for g in groups:
        g.total, g.open_total = len(totals[g.kind].items), totals[g.kind].open_count
    return render(
        request,
        "reports/warning_list.html",
        {
            "filter": fs.form,
            "page_obj": page,
            "groups": groups,
            "total": len(items),
            "open_total": sum(1 for i in items if not i.is_acknowledged),
            "can_acknowledge": is_staff_admin(request.user),
        },
    )


@login_required
@require_POST
def warning_acknowledge_view(request: HttpRequest) -> HttpResponse:
    check_warning_acknowledge(request.user)
    form = AcknowledgeWarningForm(request.POST)
    ack = None
    if form.is_valid():
        try:
            ack = warning_acknowledge(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("note", exc)
    context = {"form": form, "ack": ack, "key": request.POST.get("key", ""), "subject": request.POST.get("subject", "")}
    if request.htmx:  # type: ignore[attr-defined]
        # htmx swaps only 2xx responses; the fragment shows the form errors itself.
        return render(request, "reports/_warning_ack.html", context)
    if ack:
        messages.success(request, _("Tanggapan peringatan disimpan."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("home")
