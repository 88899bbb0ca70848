"""Screens of the UPK ledger. Thin: permissions first, then a selector or a
service; `LedgerError` messages (Indonesian) are shown on the form.

Scope rules live in `upk.permissions`: summary pages (`upk_for_view`) are open
to staff, the UPK's managers and its BKM's members; borrower pages
(`upk_for_borrowers`, `filter_*`) to staff and managers; writes
(`check_post`) to the UPK's managers only; approvals to staff admins.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bkm.models import Kelurahan, Unit
from core.fields import RupiahField
from core.filters import filterset
from core.nik import mask_nik
from core.params import is_number, year_in_range, year_range_message

from . import figures, forms, permissions, selectors, services
from .filters import JournalFilterSet, KSMFilterSet, LoanFilterSet
from .ledger.errors import LedgerError, month_label
from .ledger.idempotency import form_key_issue, form_key_open, upk_scoped_key
from .ledger.rules import rules_in_force
from .models import (
    CAPITAL_ROLES,
    KSM,
    LIVE_STATUSES,
    Account,
    AccountingPeriod,
    ApprovalStatus,
    CollectionSheet,
    KSMMember,
    Loan,
    LoanMember,
    LoanStatus,
    MonthlyPackage,
    PeriodEvent,
    Recovery,
    Repayment,
    Reschedule,
    SavingsTransaction,
    WriteOff,
)
from .packages import submitted_package
from .queries import (
    as_of_from,
    export_format,
    export_response,
    ksm_list_queryset,
    parse_date,
    savings_ledger,
    scoped_object,
    screen_flags,
    today,
    upk_for_borrowers,
    upk_for_posting,
    upk_for_view,
)
from .views_field import receipt_pdf_html, receipt_shares

PAGE_SIZE = 25


def _add_errors(form: Any, exc: LedgerError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def _form_page(request: HttpRequest, upk: Unit, form: Any, title: str, **extra: Any) -> HttpResponse:
    return render(request, "upk/form.html", {**screen_flags(request, upk), "form": form, "title": title, **extra})


def _loan(request: HttpRequest, pk: int, **annotations: Any) -> Loan:
    qs = Loan.objects.select_related("ksm", "upk", "upk__bkm", "product")
    return scoped_object(
        request.user, qs.annotate(**annotations) if annotations else qs, permissions.filter_loans, pk=pk
    )


def _ksm(request: HttpRequest, pk: int) -> KSM:
    # upk__bkm: the UPK pages' header names the BKM (upk/_base.html).
    return scoped_object(
        request.user, KSM.objects.select_related("upk__bkm", "kelurahan"), permissions.filter_ksms, pk=pk
    )


def _band_class(band: str | None) -> str:
    return {"sehat": "success", "kurang_sehat": "warning", "tidak_sehat": "danger"}.get(band or "", "secondary")


T = TypeVar("T")


def _kept_body(
    request: HttpRequest, upk: Unit, name: str, template: str, context: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], str]:
    """A books page's body (everything below the UPK's header and tabs), rendered once per figures
    version: for pages that show only what the version covers (journal lines, the chart: an append-only
    ledger), keyed by the page's whole query string (dates, page, book), the language and permissions.
    Returns the screen flags and the body."""
    flags = screen_flags(request, upk)
    body = _kept(
        name,
        upk.pk,
        (request.GET.urlencode(), flags["can_post"], flags["can_borrowers"], flags["can_approve"]),
        lambda: render_to_string(template, {**flags, **context()}, request=request),
    )
    return flags, body


def _kept(
    name: str, upk_id: int, variant: tuple[Any, ...], compute: Callable[[], T], rows: tuple[QuerySet, ...] = ()
) -> T:
    """`compute()` (a page's figures and their rendered rows) kept under the UPK's figures version
    (`figures.kept`), per `variant` (what else the result depends on: date, permissions) and the
    language; `rows`: the rows it shows that no version covers (KSMs, members…), hashed with the version."""
    digest = hashlib.md5(repr((get_language(), *variant)).encode(), usedforsecurity=False).hexdigest()
    return figures.kept(f"{name}:{digest}", upk_id, compute, rows=rows)


# --- UPK list and home -----------------------------------------------------------------------


@login_required
def upk_list(request: HttpRequest) -> HttpResponse:
    """Staff: every UPK with indicators and bands; managers and BKM members: theirs."""
    as_of = as_of_from(request)
    upks = list(
        permissions.filter_upks(request.user, Unit.objects.select_related("bkm", "bkm__kelurahan")).order_by(
            "bkm__kelurahan__name", "pk"
        )
    )
    summary = selectors.portfolio_summary_many(upk_ids=[u.pk for u in upks], as_of=as_of)
    rows = [(u, *summary[u.pk]) for u in upks]
    codes = [d.code for d in selectors.INDICATORS]
    fmt = export_format(request)
    if fmt:
        headers = [_("UPK"), _("BKM"), _("Kelurahan"), _("Saldo pinjaman")] + [d.label for d in selectors.INDICATORS]
        data = [
            [u.name, u.bkm.name, u.bkm.kelurahan.name, ind.figures.outstanding]
            + [ind[c].value if ind[c].value is not None else "" for c in codes]
            for u, ind, _kol in rows
        ]
        return export_response(fmt, f"upk-{as_of:%Y%m%d}", headers, data, title="UPK")
    table = [
        {
            "upk": u,
            "outstanding": ind.figures.outstanding,
            "values": [(ind[c], _band_class(ind[c].band)) for c in codes],
            "macet": kol.buckets[4].loans,
        }
        for u, ind, kol in rows
    ]
    return render(
        request,
        "upk/upk_list.html",
        {"table": table, "as_of": as_of, "labels": [d.label for d in selectors.INDICATORS]},
    )


@login_required
def upk_home(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    as_of = as_of_from(request)
    flags = screen_flags(request, upk)
    # The figures, the week's dues and the arrears worklist, rendered once per figures version (every
    # posting raises it), day, language and what the user may see or do; the KSMs' rows (names, chairs'
    # phones: no version covers them) are hashed with the version, the UPK's name (in the reminders) is in the key.
    home_html = _kept(
        "home",
        upk.pk,
        (as_of, flags["can_borrowers"], flags["can_post"], upk.name),
        lambda: render_to_string("upk/_home_figures.html", _home_figures(upk=upk, as_of=as_of, flags=flags)),
        rows=(KSM.objects.filter(upk=upk),) if flags["can_borrowers"] else (),
    )
    return render(request, "upk/upk_home.html", {**flags, "as_of": as_of, "home_html": home_html})


def _home_figures(*, upk: Unit, as_of: date, flags: dict[str, Any]) -> dict[str, Any]:
    # The rules in force read once, for the summary and the worklist's kolektibilitas.
    rules = selectors.rules_on(upk_ids=[upk.pk], as_of=as_of)
    ind, kol = selectors.portfolio_summary_many(upk_ids=[upk.pk], as_of=as_of, rules=rules)[upk.pk]
    ctx: dict[str, Any] = {
        **flags,
        "as_of": as_of,
        "indicators": [(v, _band_class(v.band)) for v in ind.values.values()],
        "figures": ind.figures,
        "kol": kol,
    }
    if ctx["can_borrowers"]:
        due = selectors.due_list(upk=upk, on=as_of, within_days=7)
        ctx["arrears"] = selectors.arrears_worklist(upk=upk, as_of=as_of, rules=rules[upk.pk])
        ctx["due"] = due
        ctx["due_total"] = sum(r.expected for r in due)
        ctx["due_until"] = as_of + timedelta(days=7)
        ctx["chair_phones"] = selectors.ArrearsRow.phones(ctx["arrears"].rows)
    return ctx


# --- KSM ---------------------------------------------------------------------------------------------


@login_required
def ksm_list(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_borrowers(request.user, upk_id)
    fs = filterset(KSMFilterSet, request.GET, ksm_list_queryset(request.user, upk))
    qs = fs.qs
    fmt = export_format(request)
    if fmt:
        headers = [_("Kode"), _("Nama"), _("Kelurahan"), _("RT"), _("Anggota"), _("Tabungan"), _("Pinjaman berjalan")]
        data = ([k.code, k.name, k.kelurahan.name, k.rt, k.n_members, k.savings_total, k.n_live] for k in qs)  # type: ignore[attr-defined]
        return export_response(fmt, f"ksm-{upk.pk}", headers, data, title="KSM")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "upk/ksm_list.html", {**screen_flags(request, upk), "page_obj": page, "filter": fs.form})


@login_required
def ksm_create(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_posting(request.user, upk_id)
    form = forms.KSMForm(request.POST or None, initial={"formed_on": today(), "kelurahan": upk.bkm.kelurahan_id})
    if request.method == "POST" and form.is_valid():
        try:
            ksm = services.registry.ksm_create(upk=upk, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("KSM %(name)s dibuat.") % {"name": ksm.name})
            return redirect("upk:ksm_detail", pk=ksm.pk)
    return _form_page(request, upk, form, _("KSM baru"))


@login_required
def ksm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ksm = _ksm(request, pk)
    flags = screen_flags(request, ksm.upk)
    full_nik = permissions.can_see_full_nik(request.user, ksm.upk_id)
    day = today()
    # Rendered once per figures version (its loans and their positions: every posting of the UPK raises
    # it), day, language and permissions; the KSM's own rows, its members and savings (no version covers
    # them) hashed with the version.
    ksm_html = _kept(
        f"ksm:{ksm.pk}",
        ksm.upk_id,
        (day, flags["can_post"], full_nik),
        lambda: render_to_string("upk/_ksm_body.html", _ksm_body(ksm=ksm, day=day, full_nik=full_nik, flags=flags)),
        rows=(
            KSM.objects.filter(pk=ksm.pk),
            Kelurahan.objects.filter(pk=ksm.kelurahan_id),
            KSMMember.objects.filter(ksm=ksm),
            SavingsTransaction.objects.filter(ksm=ksm),
        ),
    )
    return render(request, "upk/ksm_detail.html", {**flags, "ksm": ksm, "ksm_html": ksm_html})


def _ksm_body(*, ksm: KSM, day: date, full_nik: bool, flags: dict[str, Any]) -> dict[str, Any]:
    members = list(ksm.members.order_by("name"))
    for m in members:
        m.nik_display = m.nik if full_nik else mask_nik(m.nik)  # type: ignore[attr-defined]
    savings = savings_ledger(ksm)
    loans = list(ksm.loans.order_by("-applied_on", "-pk"))
    live = [loan.pk for loan in loans if loan.status in LIVE_STATUSES]
    positions = selectors.loan_positions(upk_ids=[ksm.upk_id], as_of=day, loan_ids=live) if live else {}
    return {
        **flags,
        "ksm": ksm,
        "members": members,
        "savings": savings,
        "savings_balance": savings[-1][1] if savings else 0,
        "loans": [(loan, positions.get(loan.pk)) for loan in loans],
        "women": sum(1 for m in members if m.gender == "P" and m.is_active),
        "active_members": sum(1 for m in members if m.is_active),
    }


@login_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    ksm = _ksm(request, pk)
    permissions.check_post(request.user, ksm.upk_id)
    form = forms.MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.registry.ksm_member_add(ksm=ksm, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Anggota ditambahkan."))
            return redirect("upk:ksm_detail", pk=ksm.pk)
    return _form_page(request, ksm.upk, form, _("Anggota baru %(ksm)s") % {"ksm": ksm.name}, back=ksm)


@login_required
def savings_create(request: HttpRequest, pk: int) -> HttpResponse:
    ksm = _ksm(request, pk)
    permissions.check_post(request.user, ksm.upk_id)
    form = forms.SavingsForm(
        request.POST or None,
        actor=request.user,
        upk_id=ksm.upk_id,
        initial={"date": today(), "kind": request.GET.get("jenis", "deposit")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fn = services.savings.savings_deposit if data["kind"] == "deposit" else services.savings.savings_withdraw
        try:
            fn(
                ksm=ksm,
                amount=data["amount"],
                date=data["date"],
                actor=request.user,
                idempotency_key=data["idempotency_key"],
                channel=data["channel"],
            )
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Transaksi tabungan dicatat."))
            return redirect("upk:ksm_detail", pk=ksm.pk)
    return _form_page(request, ksm.upk, form, _("Tabungan %(ksm)s") % {"ksm": ksm.name}, once=True, back=ksm)


# --- Loans ------------------------------------------------------------------------------------------


@login_required
def loan_list(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_borrowers(request.user, upk_id)
    as_of = as_of_from(request)
    scoped = permissions.filter_loans(request.user, Loan.objects.filter(upk=upk)).select_related("ksm")
    fs = filterset(LoanFilterSet, request.GET, scoped.order_by("-applied_on", "-pk"))
    qs = fs.qs
    fmt = export_format(request)
    if fmt:
        loans = list(qs)
        pos = selectors.loan_positions(upk_ids=[upk.pk], as_of=as_of)
        headers = [
            _("Nomor"),
            _("KSM"),
            _("Status"),
            _("Cair"),
            _("Pokok"),
            _("Sisa pokok"),
            _("Tunggakan"),
            _("Angsuran tertunggak"),
        ]
        data = [
            [
                loan.number,
                loan.ksm.name,
                loan.get_status_display(),
                loan.disbursed_on or "",
                loan.principal,
                pos[loan.pk].outstanding if loan.pk in pos else "",
                pos[loan.pk].arrears_amount if loan.pk in pos else "",
                pos[loan.pk].n_arrears if loan.pk in pos else "",
            ]
            for loan in loans
        ]
        return export_response(fmt, f"pinjaman-{upk.pk}-{as_of:%Y%m%d}", headers, data, title="Pinjaman")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [loan.pk for loan in page.object_list]
    positions = selectors.loan_positions(upk_ids=[upk.pk], as_of=as_of, loan_ids=ids) if ids else {}
    rows = [(loan, positions.get(loan.pk)) for loan in page.object_list]
    return render(
        request,
        "upk/loan_list.html",
        {
            **screen_flags(request, upk),
            "page_obj": page,
            "rows": rows,
            "filter": fs.form,
            "as_of": as_of,
        },
    )


@login_required
def loan_apply(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_posting(request.user, upk_id)
    ksm_id = request.GET.get("ksm") or request.POST.get("ksm")
    if not ksm_id:
        ksms = KSM.objects.filter(upk=upk, is_active=True).order_by("name")
        return render(request, "upk/loan_apply_pick.html", {**screen_flags(request, upk), "ksms": ksms})
    try:
        ksm = KSM.objects.get(pk=int(ksm_id), upk=upk)
    except (KSM.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    members = list(ksm.members.filter(is_active=True).order_by("pk"))
    form = forms.LoanApplyForm(request.POST or None, upk=upk, members=members, initial={"applied_on": today()})
    if request.method == "POST" and form.is_valid():
        try:
            result = services.loans.loan_apply(
                ksm=ksm,
                product=form.cleaned_data["product"],
                applied_on=form.cleaned_data["applied_on"],
                member_amounts=form.member_amounts(),
                term_months=form.cleaned_data["term_months"],
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
            )
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            for w in result.warnings:
                messages.warning(request, w)
            messages.success(request, _("Pengajuan %(no)s dicatat.") % {"no": result.loan.number})
            return redirect("upk:loan_card", pk=result.loan.pk)
    rules = rules_in_force([upk.pk], today())[upk.pk]  # the rules the application is judged by
    return render(
        request,
        "upk/loan_apply.html",
        {
            **screen_flags(request, upk),
            "form": form,
            "ksm": ksm,
            "rules": rules,
            "savings_run": selectors.savings_months_run(ksm, today()),
        },
    )


_LOAN_LISTS = (("reschedules", Reschedule), ("write_offs", WriteOff), ("recoveries", Recovery))


def _has_rows(model: Any) -> RawSQL:
    """EXISTS a row of `model` (a table with a `loan_id`) for the loan read."""
    table, loan = model._meta.db_table, Loan._meta.db_table
    sql = f"EXISTS (SELECT 1 FROM {table} x WHERE x.loan_id = {loan}.id)"  # noqa: S608 - table names from the models
    return RawSQL(sql, (), output_field=BooleanField())  # noqa: S611 - no values in it


@login_required
def loan_card(request: HttpRequest, pk: int) -> HttpResponse:
    # Most loans have no reschedule, write-off or recovery: three EXISTS in the loan's own query
    # spare the three list queries for them (as SQL text: the ORM's Exists/OuterRef took ~1 ms of
    # compiling per view, more than the queries they spare).
    loan = _loan(request, pk, **{f"has_{name}": _has_rows(model) for name, model in _LOAN_LISTS})
    as_of = as_of_from(request)
    flags = screen_flags(request, loan.upk)
    # The position, schedules, members and repayments, rendered once per figures version (every
    # posting, reversal or reschedule of the UPK raises it), date, language and permissions; the
    # members' names and shares (no version covers them) are hashed with the version. The status history and
    # the proposals (their authors, undecided proposals: not covered either) are read on every view.
    position, rows_html = _kept(
        f"loan:{loan.pk}",
        loan.upk_id,
        (as_of, flags["can_post"]),
        lambda: _loan_rows(loan, as_of, flags),
        rows=(KSMMember.objects.filter(ksm_id=loan.ksm_id), LoanMember.objects.filter(loan=loan)),
    )
    return render(
        request,
        "upk/loan_card.html",
        {
            **flags,
            "loan": loan,
            "position": position,
            "rows_html": rows_html,
            "events": selectors.loan_events(loan),
            "as_of": as_of,
            "reschedules": list(loan.reschedules.select_related("proposed_by", "decided_by").order_by("proposed_at"))
            if loan.has_reschedules  # type: ignore[attr-defined]
            else [],
            "write_offs": list(loan.write_offs.select_related("proposed_by", "decided_by").order_by("proposed_at"))
            if loan.has_write_offs  # type: ignore[attr-defined]
            else [],
            "recoveries": list(loan.recoveries.order_by("received_on")) if loan.has_recoveries else [],  # type: ignore[attr-defined]
            "is_live": loan.status in (LoanStatus.ACTIVE, LoanStatus.RESCHEDULED),
        },
    )


def _loan_rows(loan: Loan, as_of: date, flags: dict[str, Any]) -> tuple[selectors.LoanPosition, str]:
    card = selectors.loan_card(loan, with_events=False)
    position = selectors.loan_position(loan, as_of=as_of)
    members = selectors.member_positions(loan, as_of=as_of, repayments=card.repayments) if loan.disbursed_on else []
    html = render_to_string(
        "upk/_loan_rows.html", {**flags, "loan": loan, "card": card, "members": members, "as_of": as_of}
    )
    return position, html


@login_required
def loan_decide(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _loan(request, pk)
    permissions.check_post(request.user, loan.upk_id)
    form = forms.LoanDecideForm(request.POST or None, initial={"decided_on": today(), "approve": "1"})
    if request.method == "POST" and form.is_valid():
        try:
            services.loans.loan_decide(loan=loan, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Putusan dicatat."))
            return redirect("upk:loan_card", pk=loan.pk)
    return _form_page(request, loan.upk, form, _("Putusan pinjaman %(no)s") % {"no": loan.number}, loan=loan)


@login_required
def loan_disburse(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _loan(request, pk)
    permissions.check_post(request.user, loan.upk_id)
    form = forms.LoanDisburseForm(request.POST or None, initial={"disbursed_on": today(), "via": "kas"})
    if request.method == "POST" and form.is_valid():
        try:
            services.loans.loan_disburse(loan=loan, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Pinjaman dicairkan; jadwal angsuran dibuat."))
            return redirect("upk:loan_card", pk=loan.pk)
    return _form_page(request, loan.upk, form, _("Pencairan %(no)s") % {"no": loan.number}, loan=loan, once=True)


# --- Repayments --------------------------------------------------------------------------------


@login_required
def repayment_create(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _loan(request, pk)
    permissions.check_post(request.user, loan.upk_id)
    loan_members = list(loan.loan_members.select_related("member").order_by("pk"))
    position = selectors.loan_position(loan, as_of=today())
    form = forms.RepaymentForm(
        request.POST or None,
        actor=request.user,
        upk_id=loan.upk_id,
        loan_members=loan_members,
        initial={"paid_on": today(), "channel": "kas", "amount": position.arrears_amount or None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rep = services.repayments.repayment_record(
                loan=loan,
                amount=data["amount"],
                paid_on=data["paid_on"],
                actor=request.user,
                idempotency_key=data["idempotency_key"],
                member_split=form.member_split(),
                channel=data["channel"],
            )
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Pembayaran dicatat, kuitansi %(no)s.") % {"no": rep.receipt_number})
            return redirect(reverse("upk:loan_card", args=[loan.pk]) + f"#kw-{rep.pk}")
    return render(
        request,
        "upk/repayment_form.html",
        {**screen_flags(request, loan.upk), "form": form, "loan": loan, "position": position},
    )


@login_required
def savings_cover(request: HttpRequest, pk: int) -> HttpResponse:
    """Tanggung renteng: by UPK decision, the KSM's savings pay this loan's arrears."""
    loan = _loan(request, pk)
    permissions.check_post(request.user, loan.upk_id)
    on = today()
    position = selectors.loan_position(loan, as_of=on)
    balance = selectors.savings_balance(loan.ksm, on)
    form = forms.SavingsCoverForm(
        request.POST or None,
        actor=request.user,
        upk_id=loan.upk_id,
        initial={"date": on, "amount": min(balance, position.arrears_amount) or None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tx = services.savings.savings_cover_arrears(
                loan=loan,
                amount=data["amount"],
                date=data["date"],
                decision=data["decision"],
                actor=request.user,
                idempotency_key=data["idempotency_key"],
            )
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            rep = tx.repayment
            messages.success(
                request,
                _("Tunggakan dibayar dari tabungan KSM, kuitansi %(no)s.") % {"no": rep.receipt_number if rep else ""},
            )
            return redirect(reverse("upk:loan_card", args=[loan.pk]) + (f"#kw-{rep.pk}" if rep else ""))
    return render(
        request,
        "upk/savings_cover.html",
        {
            **screen_flags(request, loan.upk),
            "form": form,
            "loan": loan,
            "position": position,
            "balance": balance,
            "on": on,
        },
    )


@login_required
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    rep = scoped_object(
        request.user,
        Repayment.objects.select_related("loan", "loan__ksm", "upk", "upk__bkm", "created_by"),
        permissions.filter_repayments,
        pk=pk,
    )
    html = receipt_pdf_html(request, rep)
    from django.contrib.staticfiles import finders
    from weasyprint import CSS, HTML

    css = finders.find("css/upk-receipt.css")
    pdf = HTML(string=html).write_pdf(stylesheets=[CSS(filename=css)] if css else None)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{rep.receipt_number}.pdf"'
    return response


@login_required
def repayment_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    rep = scoped_object(
        request.user, Repayment.objects.select_related("loan", "upk"), permissions.filter_repayments, pk=pk
    )
    permissions.check_post(request.user, rep.upk_id)
    form = forms.ReversalForm(request.POST or None, initial={"reversed_on": today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.repayments.repayment_reverse(repayment=rep, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Kuitansi %(no)s dibatalkan.") % {"no": rep.receipt_number})
            return redirect("upk:loan_card", pk=rep.loan_id)
    return _form_page(
        request,
        rep.upk,
        form,
        _("Pembatalan kuitansi %(no)s (%(amount)s)") % {"no": rep.receipt_number, "amount": rep.amount},
        loan=rep.loan,
        once=True,
    )


# --- Collection sheet --------------------------------------------------------------------------


@login_required
def collection_sheet(request: HttpRequest, upk_id: int) -> HttpResponse:
    """GET: the sheet for a date (printable blank with ?cetak=1, else the entry
    form). POST: every typed payment in one transaction, or none."""
    upk = upk_for_borrowers(request.user, upk_id)
    on = parse_date(request.POST.get("date") or request.GET.get("tanggal"))
    rows = selectors.due_list(upk=upk, on=on)
    printing = request.GET.get("cetak") == "1"
    token = request.POST.get("idempotency_key", "")
    actor_id = request.user.pk or 0  # login_required: always a signed-in user
    entered: dict[int, str] = {}
    entered_split: dict[tuple[int, int], str] = {}
    row_errors: dict[int, list[str]] = defaultdict(list)
    errors: list[str] = []
    key = ""
    if request.method == "POST":
        permissions.check_post(request.user, upk)
        try:  # the key this page issued to this user for this UPK, nobody else's
            key = form_key_open(token, actor_id=actor_id, upk_id=upk.pk)
        except LedgerError as exc:
            errors.extend(exc.messages)
            token = ""
        posted = (
            CollectionSheet.objects.filter(upk=upk, idempotency_key=upk_scoped_key(upk_id=upk.pk, key=key)).first()
            if key
            else None
        )
        if posted is not None:  # the same form sent again (double click, back button, retry)
            return redirect("upk:collection_sheet_done", upk_id=upk.pk, sheet_id=posted.pk)
        payments = []
        amounts: dict[int, int] = {}
        for name, value in request.POST.items():
            if not name.startswith("amount-") or not is_number(name[7:]):
                continue
            loan_pk = int(name[7:])
            text = str(value or "").strip()
            entered[loan_pk] = text
            if not text:
                continue
            try:
                amount = int(RupiahField().clean(text))
            except ValidationError as exc:
                row_errors[loan_pk].extend(exc.messages)
                continue
            if amount > 0:
                amounts[loan_pk] = amount
        splits = _sheet_splits(request, rows, amounts, entered_split, row_errors)
        for loan_pk, amount in amounts.items():
            payment: dict[str, Any] = {"loan": loan_pk, "amount": amount}
            if loan_pk in splits:
                payment["member_split"] = splits[loan_pk]
            payments.append(payment)
        if not payments and not row_errors:
            errors.append(_("Belum ada pembayaran yang diisi."))
        if not row_errors and not errors:
            try:
                sheet = services.repayments.collection_sheet_post(
                    upk=upk, date=on, payments=payments, actor=request.user, idempotency_key=key
                )
            except LedgerError as exc:
                by_number = {row.loan.number: row.loan.pk for row in rows}
                for message in exc.messages:
                    hit = [pk for number, pk in by_number.items() if f"({number})" in message]
                    for pk in hit:
                        row_errors[pk].append(message)
                    if not hit:
                        errors.append(message)
            else:
                messages.success(
                    request,
                    _("Lembar penagihan %(date)s diposting: %(n)s pembayaran.")
                    % {"date": on.strftime("%d-%m-%Y"), "n": sheet.repayments.count()},
                )
                return redirect("upk:collection_sheet_done", upk_id=upk.pk, sheet_id=sheet.pk)
        if row_errors:
            errors.insert(0, _("Tidak ada yang dicatat. Perbaiki baris yang ditandai merah lalu kirim lagi."))
    # Member inputs come on demand (upk.views_field.collection_split); they are rendered here only
    # for the loans whose parts were typed in a sheet sent back with errors.
    sharers: dict[int, list[LoanMember]] = defaultdict(list)
    typed = {loan_pk for (loan_pk, _lm), text in entered_split.items() if text}
    if not printing and typed and permissions.can_post(request.user, upk):
        for lm in LoanMember.objects.filter(loan_id__in=typed).select_related("member").order_by("pk"):
            sharers[lm.loan_id].append(lm)
    table = []
    for r in rows:
        split = [(lm, entered_split.get((r.loan.pk, lm.pk), "")) for lm in sharers[r.loan.pk]]
        table.append(
            {
                "row": r,
                "value": entered.get(r.loan.pk, ""),
                "errors": row_errors.get(r.loan.pk, []),
                "split": split,
                "split_open": any(v for _lm, v in split),
            }
        )
    return render(
        request,
        "upk/collection_print.html" if printing else "upk/collection_sheet.html",
        {
            **screen_flags(request, upk),
            "on": on,
            "table": table,
            "total": sum(r.expected for r in rows),
            "key": token or form_key_issue(actor_id=actor_id, upk_id=upk.pk),
            "errors": errors,
        },
    )


def _sheet_splits(
    request: HttpRequest,
    rows: list[selectors.DueRow],
    amounts: dict[int, int],
    entered: dict[tuple[int, int], str],
    row_errors: dict[int, list[str]],
) -> dict[int, dict[int, int]]:
    """Optional member split per loan from `split-<loan>-<loan member>` fields.

    A loan whose member inputs are all empty is paid at group level as before.
    Messages name the KSM; whether the parts sum to the amount is the
    service's check (its message names the KSM too)."""
    names = {r.loan.pk: r.loan.ksm.name for r in rows}
    parts: dict[int, dict[int, int]] = defaultdict(dict)
    bad: set[int] = set()
    for name, value in request.POST.items():
        pieces = name.split("-")
        if len(pieces) != 3 or pieces[0] != "split" or not (is_number(pieces[1]) and is_number(pieces[2])):
            continue
        loan_pk, lm_pk = int(pieces[1]), int(pieces[2])
        text = str(value or "").strip()
        entered[(loan_pk, lm_pk)] = text
        if not text:
            continue
        try:
            part = int(RupiahField().clean(text))
        except ValidationError as exc:
            if loan_pk not in bad:
                row_errors[loan_pk].append(
                    _("%(ksm)s: bagian anggota: %(error)s")
                    % {"ksm": names.get(loan_pk, loan_pk), "error": " ".join(exc.messages)}
                )
            bad.add(loan_pk)
            continue
        parts[loan_pk][lm_pk] = part
    splits: dict[int, dict[int, int]] = {}
    for loan_pk, split in parts.items():
        if loan_pk in bad or not any(split.values()):
            continue
        if loan_pk not in amounts:
            if loan_pk in row_errors:  # the amount itself is wrong; that message says enough
                continue
            row_errors[loan_pk].append(
                _("%(ksm)s: bagian anggota diisi tetapi jumlah dibayar KSM kosong.")
                % {"ksm": names.get(loan_pk, loan_pk)}
            )
            continue
        splits[loan_pk] = split
    return splits


@login_required
def collection_sheet_done(request: HttpRequest, upk_id: int, sheet_id: int) -> HttpResponse:
    upk = upk_for_borrowers(request.user, upk_id)
    sheet = upk.collection_sheets.filter(pk=sheet_id).first()
    if sheet is None:
        raise Http404
    reps = list(sheet.repayments.select_related("loan", "loan__ksm").order_by("loan__ksm__name"))
    positions = selectors.loan_positions(upk_ids=[upk.pk], as_of=sheet.date, loan_ids=[r.loan_id for r in reps])
    kol = selectors.kolektibilitas(upk=upk, as_of=sheet.date)
    shares = receipt_shares(request, reps, positions=positions)
    rows = [(r, positions.get(r.loan_id), shares[r.pk]) for r in reps]
    return render(
        request, "upk/collection_done.html", {**screen_flags(request, upk), "sheet": sheet, "rows": rows, "kol": kol}
    )


# --- Reschedule, write-off, recovery ----------------------------------------------------------------


@login_required
def reschedule_propose(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _loan(request, pk)
    permissions.check_post(request.user, loan.upk_id)
    form = forms.RescheduleForm(
        request.POST or None, initial={"effective_on": today(), "term_months": loan.term_months}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.loans.reschedule_propose(loan=loan, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Usulan penjadwalan ulang dikirim untuk persetujuan staf."))
            return redirect("upk:loan_card", pk=loan.pk)
    return _form_page(request, loan.upk, form, _("Usul penjadwalan ulang %(no)s") % {"no": loan.number}, loan=loan)


def _decision_page(request: HttpRequest, model: Any, pk: int, *, decide: Any, done: str, title: str) -> HttpResponse:
    """Staff decision on a reschedule or write-off proposal (the same form and flow)."""
    permissions.check_approve(request.user)
    item = model.objects.select_related("loan", "loan__upk", "loan__ksm").filter(pk=pk).first()
    if item is None:
        raise Http404
    form = forms.DecisionForm(request.POST or None, initial={"approve": "1"})
    if request.method == "POST" and form.is_valid():
        try:
            decide(item, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("upk:loan_card", pk=item.loan_id)
    return _form_page(request, item.loan.upk, form, title % {"no": item.loan.number}, loan=item.loan, proposal=item)


@login_required
def reschedule_decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_page(
        request,
        Reschedule,
        pk,
        decide=lambda item, **kw: services.loans.reschedule_decide(reschedule=item, **kw),
        done=_("Putusan penjadwalan ulang dicatat."),
        title=_("Persetujuan penjadwalan ulang %(no)s"),
    )


@login_required
def writeoff_propose(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _loan(request, pk)
    permissions.check_post(request.user, loan.upk_id)
    form = forms.WriteOffForm(request.POST or None, initial={"proposed_on": today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.loans.writeoff_propose(loan=loan, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Usulan hapus buku dikirim untuk persetujuan staf."))
            return redirect("upk:loan_card", pk=loan.pk)
    return _form_page(request, loan.upk, form, _("Usul hapus buku %(no)s") % {"no": loan.number}, loan=loan)


@login_required
def writeoff_decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_page(
        request,
        WriteOff,
        pk,
        decide=lambda item, **kw: services.loans.writeoff_decide(write_off=item, **kw),
        done=_("Putusan hapus buku dicatat."),
        title=_("Persetujuan hapus buku %(no)s"),
    )


@login_required
def recovery_create(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _loan(request, pk)
    permissions.check_post(request.user, loan.upk_id)
    form = forms.RecoveryForm(
        request.POST or None, actor=request.user, upk_id=loan.upk_id, initial={"received_on": today(), "channel": "kas"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.loans.recovery_record(loan=loan, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Pemulihan dicatat sebagai pendapatan."))
            return redirect("upk:loan_card", pk=loan.pk)
    return _form_page(
        request, loan.upk, form, _("Pemulihan pinjaman dihapus %(no)s") % {"no": loan.number}, loan=loan, once=True
    )


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """Staff: pending reschedules and write-offs across UPKs."""
    if not permissions.is_staff(request.user):
        raise Http404
    reschedules = Reschedule.objects.filter(status=ApprovalStatus.PROPOSED).select_related(
        "loan", "loan__ksm", "loan__upk"
    )
    write_offs = WriteOff.objects.filter(status=ApprovalStatus.PROPOSED).select_related(
        "loan", "loan__ksm", "loan__upk"
    )
    return render(
        request,
        "upk/approvals.html",
        {"reschedules": reschedules, "write_offs": write_offs, "can_approve": permissions.can_approve(request.user)},
    )


# --- Cash vouchers, capital, reserve, year end ---------------------------------------------------------


@login_required
def cash_voucher(request: HttpRequest, upk_id: int, direction: str) -> HttpResponse:
    if direction not in ("in", "out"):
        raise Http404
    upk = upk_for_posting(request.user, upk_id)
    accounts = (
        Account.objects.filter(upk=upk, is_active=True).exclude(role__in=services.cash.PROTECTED_ROLES).order_by("code")
    )
    form = forms.CashVoucherForm(
        request.POST or None,
        accounts=accounts,
        actor=request.user,
        upk_id=upk.pk,
        initial={"date": today(), "channel": "kas"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.cash.cash_voucher_record(
                upk=upk, direction=direction, actor=request.user, **form.cleaned_data
            )
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Bukti kas dicatat, jurnal nomor %(n)s.") % {"n": entry.number})
            return redirect("upk:journal", upk_id=upk.pk)
    title = _("Bukti kas masuk") if direction == "in" else _("Bukti kas keluar")
    return _form_page(request, upk, form, title, once=True)


@login_required
def capital_create(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_posting(request.user, upk_id)
    accounts = Account.objects.filter(upk=upk, role__in=CAPITAL_ROLES).order_by("code")
    form = forms.CapitalForm(
        request.POST or None,
        accounts=accounts,
        actor=request.user,
        upk_id=upk.pk,
        initial={"date": today(), "channel": "bank"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.cash.capital_receive(upk=upk, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Penerimaan modal dicatat."))
            return redirect("upk:neraca", upk_id=upk.pk)
    return _form_page(request, upk, form, _("Penerimaan modal"), once=True)


@login_required
def reserve_adjust(request: HttpRequest, upk_id: int) -> HttpResponse:
    """Shows required vs booked reserve as of a date and proposes the entry."""
    upk = upk_for_view(request.user, upk_id)
    on = parse_date(request.POST.get("date") or request.GET.get("as_of"))
    kol = selectors.kolektibilitas(upk=upk, as_of=on)
    form = forms.ReserveForm(request.POST or None, actor=request.user, upk_id=upk.pk, initial={"date": on})
    if request.method == "POST":
        permissions.check_post(request.user, upk)
        if form.is_valid():
            try:
                entry = services.cash.reserve_adjust(
                    upk=upk,
                    date=form.cleaned_data["date"],
                    actor=request.user,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except LedgerError as exc:
                _add_errors(form, exc)
            else:
                if entry is None:
                    messages.info(request, _("Cadangan sudah sesuai; tidak ada jurnal."))
                else:
                    messages.success(
                        request, _("Penyesuaian cadangan dicatat, jurnal nomor %(n)s.") % {"n": entry.number}
                    )
                return redirect(reverse("upk:reserve", args=[upk.pk]) + f"?as_of={form.cleaned_data['date']:%Y-%m-%d}")
    return render(request, "upk/reserve.html", {**screen_flags(request, upk), "kol": kol, "form": form, "on": on})


@login_required
def year_end(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_posting(request.user, upk_id)
    form = forms.YearEndForm(request.POST or None, initial={"year": today().year - 1})
    # The split shown is the one the closing will use: the rules in force on 31 December of that year.
    year = form.cleaned_data["year"] if form.is_bound and form.is_valid() else form.initial["year"]
    rules = rules_in_force([upk.pk], date(year, 12, 31))[upk.pk]
    if request.method == "POST" and form.is_valid():
        try:
            closing = services.periods.year_end_close(upk=upk, year=form.cleaned_data["year"], actor=request.user)
        except LedgerError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("Tutup buku %(y)s: surplus %(s)s dialokasikan.") % {"y": closing.year, "s": closing.surplus}
            )
            return redirect("upk:neraca", upk_id=upk.pk)
    return _form_page(request, upk, form, _("Tutup buku tahunan"), rules=rules, year_end=True, once=True)


# --- Periods and the monthly package -----------------------------------------------------------------


def _previous_month(d: date) -> tuple[int, int]:
    first = d.replace(day=1) - timedelta(days=1)
    return first.year, first.month


@login_required
def monthly_package(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    py, pm = _previous_month(today())
    try:
        year = int(request.GET.get("tahun") or request.POST.get("year") or py)
        month = int(request.GET.get("bulan") or request.POST.get("month") or pm)
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError as exc:
        raise Http404 from exc
    if not year_in_range(year):
        messages.error(request, year_range_message())
        year, month = py, pm
    errors: list[str] = []
    if request.method == "POST":
        permissions.check_post(request.user, upk)
        try:
            services.periods.monthly_package_submit(upk=upk, year=year, month=month, actor=request.user)
        except LedgerError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("Laporan %(m)s dikirim; bulan ditutup.") % {"m": month_label(year, month)})
            return redirect(reverse("upk:package", args=[upk.pk]) + f"?tahun={year}&bulan={month}")
    # Computed once per figures version (a month nothing is posted into never changes).
    kept = selectors.monthly_package_kept(upk=upk, year=year, month=month)
    package = kept.data
    borrowers = permissions.can_view_borrowers(request.user, upk)
    # order_by(): KSM's ordering joins the UPK and its BKM, for a dict.
    names = dict(KSM.objects.filter(upk=upk).order_by().values_list("pk", "name")) if borrowers else {}
    # Submitted means frozen: a submitted month is shown from its snapshot,
    # with today's recalculation and the difference beside it (upk.packages).
    frozen = submitted_package(upk=upk, year=year, month=month, recalculated=package)
    snapshot_lpp = None
    if frozen is not None and frozen.lpp_rows is not None and borrowers:
        snapshot_lpp = [(r, names.get(r["ksm_id"], "")) for r in frozen.lpp_rows]
    show_recalculated = frozen is None or frozen.changed
    # The recalculated tables (~250 amounts) rendered once per kept package, KSM names (not covered by
    # the figures version: part of the key) and what the user may see; the rest of the page is per request.
    names_digest = hashlib.md5(repr(sorted(names.items())).encode(), usedforsecurity=False).hexdigest()
    figures_html = figures.kept(
        f"{kept.name}:html:{int(borrowers)}:{int(show_recalculated)}:{names_digest}",
        upk.pk,
        lambda: render_to_string(
            "upk/_package_figures.html",
            {
                "package": package,
                "show_recalculated": show_recalculated,
                "indicators": [(v, _band_class(v.band)) for v in package.indicators.values.values()],
                "lpp_rows": [(r, names.get(r.ksm_id, "")) for r in package.lpp.rows] if borrowers else [],
            },
        ),
        version=kept.version,
    )
    return render(
        request,
        "upk/package.html",
        {
            **screen_flags(request, upk),
            "package": package,
            "label": month_label(year, month),
            "year": year,
            "month": month,
            "figures_html": figures_html,
            "submitted": frozen.package if frozen else None,
            "frozen": frozen,
            "snapshot_indicators": [(v, _band_class(v.band)) for v in frozen.indicators] if frozen else [],
            "snapshot_lpp": snapshot_lpp,
            "can_submit": frozen is None or frozen.month_open,
            "errors": errors,
        },
    )


@login_required
def periods(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    close_form = forms.MonthForm(prefix="close")
    reopen_form = forms.ReopenForm(prefix="reopen")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "close":
            permissions.check_post(request.user, upk)
            close_form = forms.MonthForm(request.POST, prefix="close")
            if close_form.is_valid():
                try:
                    services.periods.period_close(upk=upk, actor=request.user, **close_form.cleaned_data)
                except LedgerError as exc:
                    _add_errors(close_form, exc)
                else:
                    messages.success(request, _("Bulan ditutup."))
                    return redirect("upk:periods", upk_id=upk.pk)
        elif action == "reopen":
            permissions.check_approve(request.user)
            reopen_form = forms.ReopenForm(request.POST, prefix="reopen")
            if reopen_form.is_valid():
                try:
                    services.periods.period_reopen(upk=upk, actor=request.user, **reopen_form.cleaned_data)
                except LedgerError as exc:
                    _add_errors(reopen_form, exc)
                else:
                    messages.success(request, _("Bulan dibuka kembali."))
                    return redirect("upk:periods", upk_id=upk.pk)
        else:
            raise Http404
    closed = AccountingPeriod.objects.filter(upk=upk, is_closed=True).order_by("-year", "-month")
    events = PeriodEvent.objects.filter(period__upk=upk).select_related("period", "actor").order_by("-at")[:50]
    packages = MonthlyPackage.objects.filter(upk=upk).select_related("submitted_by", "superseded_by")[:24]
    return render(
        request,
        "upk/periods.html",
        {
            **screen_flags(request, upk),
            "closed": closed[:24],
            "last_closed": closed.first(),
            "events": events,
            "packages": packages,
            "close_form": close_form,
            "reopen_form": reopen_form,
        },
    )


# --- Books -----------------------------------------------------------------------------------------


def _range(request: HttpRequest) -> tuple[date, date]:
    date_to = parse_date(request.GET.get("sampai") or request.GET.get("as_of"))
    date_from = parse_date(request.GET.get("dari"), date_to.replace(day=1))
    if date_from > date_to:
        date_from = date_to
    return date_from, date_to


@login_required
def journal(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_borrowers(request.user, upk_id)
    date_from, date_to = _range(request)
    scoped = permissions.filter_journal_entries(
        request.user, selectors.journal_entries(upk=upk, date_from=date_from, date_to=date_to)
    )
    fs = filterset(JournalFilterSet, request.GET, scoped)
    qs = fs.qs
    fmt = export_format(request)
    if fmt:
        headers = [_("Nomor"), _("Tanggal"), _("Jenis"), _("Uraian"), _("Akun"), _("Debit"), _("Kredit")]
        data = (
            [e.number, e.date, e.get_kind_display(), e.description, str(line.account), line.debit, line.credit]
            for e in qs
            for line in e.lines.all()
        )
        return export_response(
            fmt, f"jurnal-{upk.pk}-{date_from:%Y%m%d}-{date_to:%Y%m%d}", headers, data, title="Jurnal"
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "upk/journal.html",
        {
            **screen_flags(request, upk),
            "page_obj": page,
            "date_from": date_from,
            "date_to": date_to,
            "filter_form": fs.form,
        },
    )


def _book_page(
    request: HttpRequest, upk: Unit, book: Callable[[], selectors.Book], title: str, filename: str, name: str
) -> HttpResponse:
    fmt = export_format(request)
    if fmt:
        whole = book()
        headers = [_("Tanggal"), _("Nomor"), _("Uraian"), _("Debit"), _("Kredit"), _("Saldo")]
        data = [["", "", _("Saldo awal"), "", "", whole.opening]] + [
            [r.date, r.number, r.description, r.debit, r.credit, r.balance] for r in whole.rows
        ]
        return export_response(fmt, filename, headers, data, title=title)

    def body() -> dict[str, Any]:
        whole = book()
        page = Paginator(whole.rows, 50).get_page(request.GET.get("page"))
        accounts = Account.objects.filter(upk=upk).order_by("code")
        return {"book": whole, "page_obj": page, "title": title, "accounts": accounts}

    flags, html = _kept_body(request, upk, name, "upk/_book_body.html", body)
    return render(request, "upk/book.html", {**flags, "title": title, "body_html": html})


@login_required
def cash_book(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_borrowers(request.user, upk_id)
    date_from, date_to = _range(request)
    role = "bank" if request.GET.get("buku") == "bank" else "kas"
    title = _("Buku bank") if role == "bank" else _("Buku kas harian")
    return _book_page(
        request,
        upk,
        lambda: selectors.cash_book(upk=upk, date_from=date_from, date_to=date_to, role=role),
        title,
        f"buku-{role}-{upk.pk}-{date_to:%Y%m%d}",
        f"book:{role}",
    )


@login_required
def general_ledger(request: HttpRequest, upk_id: int, account_id: int) -> HttpResponse:
    upk = upk_for_borrowers(request.user, upk_id)
    account = Account.objects.filter(upk=upk, pk=account_id).first()
    if account is None:
        raise Http404
    date_from, date_to = _range(request)
    return _book_page(
        request,
        upk,
        lambda: selectors.general_ledger(account=account, date_from=date_from, date_to=date_to),
        _("Buku besar %(a)s") % {"a": account},
        f"buku-besar-{account.code}-{date_to:%Y%m%d}",
        f"ledger:{account.pk}",
    )


@login_required
def trial_balance(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    as_of = as_of_from(request)
    fmt = export_format(request)
    if fmt:
        tb = selectors.trial_balance(upk=upk, as_of=as_of)
        data = [[r.account.code, r.account.name, r.debit, r.credit] for r in tb.rows]
        data.append(["", _("Jumlah"), tb.total_debit, tb.total_credit])
        return export_response(
            fmt,
            f"neraca-saldo-{upk.pk}-{as_of:%Y%m%d}",
            [_("Kode"), _("Akun"), _("Debit"), _("Kredit")],
            data,
            title="Neraca saldo",
        )
    flags, html = _kept_body(
        request,
        upk,
        "trial-balance",
        "upk/_trial_balance_body.html",
        lambda: {"tb": selectors.trial_balance(upk=upk, as_of=as_of), "as_of": as_of},
    )
    return render(request, "upk/trial_balance.html", {**flags, "as_of": as_of, "body_html": html})


@login_required
def neraca(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    as_of = as_of_from(request)
    fmt = export_format(request)
    if fmt:
        bs = selectors.neraca(upk=upk, as_of=as_of)
        data: list[list[Any]] = []
        for section in (bs.assets, bs.liabilities, bs.equity):
            data += [
                [section.title, account.code if account else "", label, amount]
                for account, label, amount in section.rows
            ]
            data.append([section.title, "", _("Jumlah"), section.total])
        return export_response(
            fmt,
            f"neraca-{upk.pk}-{as_of:%Y%m%d}",
            [_("Bagian"), _("Kode"), _("Akun"), _("Jumlah")],
            data,
            title="Neraca",
        )
    flags, html = _kept_body(
        request,
        upk,
        "neraca",
        "upk/_neraca_body.html",
        lambda: {"bs": selectors.neraca(upk=upk, as_of=as_of), "as_of": as_of},
    )
    return render(request, "upk/neraca.html", {**flags, "as_of": as_of, "body_html": html})


@login_required
def laba_rugi(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    date_to = parse_date(request.GET.get("sampai") or request.GET.get("as_of"))
    date_from = parse_date(request.GET.get("dari"), date(date_to.year, 1, 1))
    pl = selectors.laba_rugi(upk=upk, date_from=date_from, date_to=date_to)
    fmt = export_format(request)
    if fmt:
        data: list[list[Any]] = []
        for section in (pl.income, pl.expense):
            data += [
                [section.title, account.code if account else "", label, amount]
                for account, label, amount in section.rows
            ]
            data.append([section.title, "", _("Jumlah"), section.total])
        data.append(["", "", _("Surplus/defisit"), pl.surplus])
        return export_response(
            fmt,
            f"laba-rugi-{upk.pk}-{date_to:%Y%m%d}",
            [_("Bagian"), _("Kode"), _("Akun"), _("Jumlah")],
            data,
            title="Laba-rugi",
        )
    return render(
        request,
        "upk/laba_rugi.html",
        {**screen_flags(request, upk), "pl": pl, "date_from": date_from, "date_to": date_to},
    )
