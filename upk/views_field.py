"""Screens for the manager in the field (issue 14): the kuitansi page and its shared link, the
KSM chair's WhatsApp contact, and the collection sheet's member split loaded on demand."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from . import forms, permissions, receipts, selectors, services
from .ledger.errors import LedgerError
from .models import KSM, Loan, LoanMember, Repayment
from .queries import scoped_object, screen_flags, upk_for_borrowers

_RECEIPT_QS = Repayment.objects.select_related("loan", "loan__ksm", "upk", "upk__bkm", "created_by")


def _shared_link(request: HttpRequest, rep: Repayment) -> str:
    """The address the chair opens: on the portal's public base URL (as in notification e-mails), not
    on whatever host the manager reached the portal by."""
    path = reverse("upk:receipt_shared", args=[receipts.share_token(repayment_id=rep.pk)])
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def receipt_shares(
    request: HttpRequest, reps: list[Repayment], *, positions: dict[int, selectors.LoanPosition]
) -> dict[int, str]:
    """Repayment id → the WhatsApp link sending its kuitansi to the KSM chair (collection result)."""
    facts = receipts.receipt_facts_many(reps, positions=positions)
    return {
        r.pk: receipts.wa_link(
            phone=r.loan.ksm.chair_phone, text=receipts.receipt_message(facts[r.pk], link=_shared_link(request, r))
        )
        for r in reps
    }


def _receipt_context(request: HttpRequest, rep: Repayment) -> dict[str, Any]:
    facts = receipts.receipt_facts(rep)
    link = _shared_link(request, rep)
    return {
        "rep": rep,
        "facts": facts,
        "reversed": rep.is_reversed,
        "share_link": link,
        "share_days": receipts.SHARE_MAX_AGE_DAYS,
        "wa_url": receipts.wa_link(phone=rep.loan.ksm.chair_phone, text=receipts.receipt_message(facts, link=link)),
    }


@login_required
def receipt_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The kuitansi on screen: readable on a phone, with the PDF and the WhatsApp share link."""
    rep = scoped_object(request.user, _RECEIPT_QS, permissions.filter_repayments, pk=pk)
    return render(
        request, "upk/receipt_page.html", {**screen_flags(request, rep.upk), **_receipt_context(request, rep)}
    )


def receipt_shared(request: HttpRequest, token: str) -> HttpResponse:
    """The kuitansi as the KSM chair opens it from WhatsApp, without a login: the signed token
    names one repayment and expires (`receipts.SHARE_MAX_AGE_DAYS`); anything else is a 404."""
    rep = receipts.repayment_from_token(token)
    if rep is None:
        raise Http404
    response = render(
        request,
        "upk/receipt_shared.html",
        {"rep": rep, "facts": receipts.receipt_facts(rep), "reversed": rep.is_reversed},
    )
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex"
    return response


def receipt_pdf_html(request: HttpRequest, rep: Repayment) -> str:
    """The PDF kuitansi's HTML (upk.views.receipt_pdf renders it with WeasyPrint)."""
    return render_to_string(
        "upk/receipt.html",
        {"rep": rep, "facts": receipts.receipt_facts(rep), "reversed": rep.is_reversed},
        request=request,
    )


@login_required
def ksm_chair(request: HttpRequest, pk: int) -> HttpResponse:
    ksm = scoped_object(request.user, KSM.objects.select_related("upk", "kelurahan"), permissions.filter_ksms, pk=pk)
    permissions.check_post(request.user, ksm.upk_id)
    form = forms.KSMChairForm(
        request.POST or None, initial={"chair_name": ksm.chair_name, "chair_phone": ksm.chair_phone}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.registry.ksm_chair_update(ksm=ksm, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            for message in exc.messages:
                form.add_error("chair_phone", message)
        else:
            messages.success(request, _("Kontak ketua KSM disimpan."))
            return redirect("upk:ksm_detail", pk=ksm.pk)
    return render(
        request,
        "upk/form.html",
        {
            **screen_flags(request, ksm.upk),
            "form": form,
            "title": _("Kontak ketua %(ksm)s") % {"ksm": ksm.name},
            "back": ksm,
        },
    )


@login_required
def collection_split(request: HttpRequest, upk_id: int, loan_id: int) -> HttpResponse:
    """The member inputs of one loan on the collection sheet, fetched (htmx) when the manager opens
    "Bagi per anggota": a 30-loan sheet no longer carries ~150 inputs nobody uses."""
    upk = upk_for_borrowers(request.user, upk_id)
    permissions.check_post(request.user, upk)
    loan = Loan.objects.filter(upk=upk, pk=loan_id).first()
    if loan is None:
        raise Http404
    sharers = list(LoanMember.objects.filter(loan=loan).select_related("member").order_by("pk"))
    return render(
        request,
        "upk/_collection_split.html",
        {"loan_pk": loan.pk, "split": [(lm, "") for lm in sharers]},
    )
