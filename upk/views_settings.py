"""Configuration screens of a UPK: loan products, rules (UpkSettings) and the
chart of accounts. Anyone who may see the UPK reads them; the UPK's managers
and staff admins change them (`permissions.check_configure`); the services
validate and give Indonesian messages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from bkm.models import Unit

from . import forms, permissions, services
from .ledger.errors import LedgerError
from .ledger.rules import rules_in_force
from .models import Account, LoanProduct, UpkRuleVersion, UpkSettings
from .queries import screen_flags, upk_for_view
from .services.registry import PRODUCT_TERMS
from .services.settings import SETTINGS_FIELDS


def _ctx(request: HttpRequest, upk: Unit, **extra: Any) -> dict[str, Any]:
    return screen_flags(request, upk, can_configure=permissions.can_configure(request.user, upk), **extra)


def _errors(form: Any, exc: LedgerError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def _form_page(request: HttpRequest, upk: Unit, form: Any, title: str, back: str) -> HttpResponse:
    ctx = _ctx(request, upk, form=form, title=title, back_url=back)
    if not ctx["can_configure"]:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "upk/config_form.html", ctx)


def _post_allowed(request: HttpRequest, upk: Unit) -> bool:
    if request.method != "POST":
        return False
    permissions.check_configure(request.user, upk)
    return True


@login_required
def products(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    items = LoanProduct.objects.filter(upk=upk).order_by("-is_active", "name")
    return render(request, "upk/products.html", _ctx(request, upk, products=items))


@login_required
def product_create(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    permissions.check_configure(request.user, upk)
    form = forms.ProductForm(request.POST or None, initial=model_to_dict(LoanProduct(), fields=PRODUCT_TERMS))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.registry.product_create(upk=upk, actor=request.user, **data)
        except LedgerError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Produk pinjaman ditambahkan."))
            return redirect("upk:products", upk_id=upk.pk)
    return _form_page(request, upk, form, _("Produk pinjaman baru"), "products")


@login_required
def product_edit(request: HttpRequest, upk_id: int, pk: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    product = get_object_or_404(LoanProduct, upk=upk, pk=pk)
    form = forms.ProductForm(request.POST or None, initial=model_to_dict(product, fields=PRODUCT_TERMS))
    if _post_allowed(request, upk) and form.is_valid():
        try:
            services.registry.product_update(product=product, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _errors(form, exc)
        else:
            messages.success(
                request, _("Produk pinjaman disimpan. Pinjaman yang sudah ada tetap memakai syarat lamanya.")
            )
            return redirect("upk:products", upk_id=upk.pk)
    return _form_page(request, upk, form, _("Produk: %(name)s") % {"name": product.name}, "products")


@login_required
def rules(request: HttpRequest, upk_id: int) -> HttpResponse:
    """The UPK's settings as in force today. Operational values save at once;
    rule changes become a proposal a staff admin approves (`ledger.rules`)."""
    upk = upk_for_view(request.user, upk_id)
    current = rules_in_force([upk.pk], timezone.localdate())[upk.pk]
    form = forms.UpkSettingsForm(request.POST or None, initial=model_to_dict(current, fields=SETTINGS_FIELDS))
    if _post_allowed(request, upk) and form.is_valid():
        proposals_before = UpkRuleVersion.objects.filter(upk=upk).count()
        try:
            services.settings.upk_settings_update(upk=upk, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _errors(form, exc)
        else:
            if UpkRuleVersion.objects.filter(upk=upk).count() > proposals_before:
                messages.success(
                    request,
                    _("Perubahan aturan diusulkan; berlaku setelah disetujui staf, mulai bulan yang masih terbuka."),
                )
            else:
                messages.success(request, _("Aturan UPK disimpan."))
            return redirect("upk:rules", upk_id=upk.pk)
    versions = list(UpkRuleVersion.objects.filter(upk=upk).select_related("proposed_by", "decided_by")[:20])
    for version in versions:
        version.changes = [  # type: ignore[attr-defined]
            f"{getattr(UpkSettings._meta.get_field(k), 'verbose_name', k)}: {v}"
            for k, v in sorted(version.values.items())
        ]
    ctx = _ctx(
        request,
        upk,
        form=form,
        title=_("Aturan UPK"),
        back_url="rules",
        rule_versions=versions,
        can_decide_rules=permissions.can_approve(request.user),
    )
    if not ctx["can_configure"]:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "upk/config_form.html", ctx)


@login_required
def rules_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff decision on a rule proposal (POST: approve=1|0, reason)."""
    version = UpkRuleVersion.objects.select_related("upk").filter(pk=pk).first()
    if version is None or request.method != "POST":
        raise Http404
    upk = upk_for_view(request.user, version.upk_id)
    try:
        services.settings.upk_rules_decide(
            version=version,
            approve=request.POST.get("approve") == "1",
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except LedgerError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Keputusan atas usulan aturan disimpan."))
    return redirect("upk:rules", upk_id=upk.pk)


@login_required
def accounts(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    items = Account.objects.filter(upk=upk).order_by("code")
    return render(request, "upk/accounts.html", _ctx(request, upk, accounts=items))


@login_required
def account_create(request: HttpRequest, upk_id: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    permissions.check_configure(request.user, upk)
    form = forms.AccountCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.settings.account_create(upk=upk, actor=request.user, **form.cleaned_data)
        except LedgerError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Akun ditambahkan."))
            return redirect("upk:accounts", upk_id=upk.pk)
    return _form_page(request, upk, form, _("Akun baru"), "accounts")


@login_required
def account_rename(request: HttpRequest, upk_id: int, pk: int) -> HttpResponse:
    upk = upk_for_view(request.user, upk_id)
    account = get_object_or_404(Account, upk=upk, pk=pk)
    form = forms.AccountRenameForm(request.POST or None, initial={"name": account.name})
    if _post_allowed(request, upk) and form.is_valid():
        try:
            services.settings.account_rename(account=account, actor=request.user, name=form.cleaned_data["name"])
        except LedgerError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Nama akun disimpan."))
            return redirect("upk:accounts", upk_id=upk.pk)
    return _form_page(request, upk, form, _("Ganti nama akun %(code)s") % {"code": account.code}, "accounts")
