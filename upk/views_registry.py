"""Screens to correct, deactivate and trace KSMs and their members (no admin
needed): every change goes through the services, which record who, when and
why; the history page shows who changed what."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import forms, permissions, selectors, services
from .ledger.errors import LedgerError
from .models import KSM, KSMMember
from .queries import scoped_object, screen_flags
from .services.registry import KSM_EDIT_FIELDS, MEMBER_EDIT_FIELDS


def _ksm(request: HttpRequest, pk: int) -> KSM:
    return scoped_object(request.user, KSM.objects.select_related("upk", "kelurahan"), permissions.filter_ksms, pk=pk)


def _member(request: HttpRequest, pk: int) -> KSMMember:
    member = KSMMember.objects.select_related("ksm", "ksm__upk").filter(pk=pk).first()
    ksm = _ksm(request, member.ksm_id if member else 0)  # scope (404/403) through the KSM
    assert member is not None
    member.ksm = ksm
    return member


def _form_page(request: HttpRequest, ksm: KSM, form: forms.forms.Form, title: str) -> HttpResponse:
    return render(
        request, "upk/form.html", {**screen_flags(request, ksm.upk), "form": form, "title": title, "back": ksm}
    )


@login_required
def ksm_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ksm = _ksm(request, pk)
    permissions.check_post(request.user, ksm.upk_id)
    form = forms.KSMEditForm(request.POST or None, initial=model_to_dict(ksm, fields=KSM_EDIT_FIELDS))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            services.registry.ksm_update(ksm=ksm, actor=request.user, reason=reason, **data)
        except LedgerError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Data KSM disimpan."))
            return redirect("upk:ksm_detail", pk=ksm.pk)
    return _form_page(request, ksm, form, _("Ubah data %(ksm)s") % {"ksm": ksm.name})


@login_required
def ksm_active(request: HttpRequest, pk: int) -> HttpResponse:
    ksm = _ksm(request, pk)
    permissions.check_post(request.user, ksm.upk_id)
    form = forms.ActiveForm(request.POST or None, initial={"active": "0" if ksm.is_active else "1"})
    if request.method == "POST" and form.is_valid():
        try:
            services.registry.ksm_set_active(ksm=ksm, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Status KSM disimpan."))
            return redirect("upk:ksm_detail", pk=ksm.pk)
    return _form_page(request, ksm, form, _("Status %(ksm)s") % {"ksm": ksm.name})


@login_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    permissions.check_post(request.user, member.ksm.upk_id)
    form = forms.MemberEditForm(request.POST or None, initial=model_to_dict(member, fields=MEMBER_EDIT_FIELDS))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            services.registry.ksm_member_update(member=member, actor=request.user, reason=reason, **data)
        except LedgerError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Data anggota disimpan."))
            return redirect("upk:ksm_detail", pk=member.ksm_id)
    return _form_page(request, member.ksm, form, _("Ubah data %(name)s") % {"name": member.name})


@login_required
def member_active(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    permissions.check_post(request.user, member.ksm.upk_id)
    form = forms.ActiveForm(request.POST or None, initial={"active": "0" if member.is_active else "1"})
    if request.method == "POST" and form.is_valid():
        try:
            services.registry.ksm_member_set_active(member=member, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Status anggota disimpan."))
            return redirect("upk:ksm_detail", pk=member.ksm_id)
    return _form_page(request, member.ksm, form, _("Status %(name)s") % {"name": member.name})


@login_required
def ksm_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Who changed the KSM and its members, when, and what (borrower data: managers and staff)."""
    ksm = _ksm(request, pk)
    permissions.check_view_borrowers(request.user, ksm.upk)
    return render(
        request,
        "upk/ksm_history.html",
        {**screen_flags(request, ksm.upk), "ksm": ksm, "rows": selectors.ksm_history(ksm=ksm)},
    )
