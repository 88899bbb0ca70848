"""Read-mostly admin. Money rows are posted by the services only: the admin
can look but never add, change or delete them (append-only ledger)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    KSM,
    Account,
    AccountingPeriod,
    JournalEntry,
    JournalLine,
    KSMMember,
    Loan,
    LoanProduct,
    Repayment,
    UpkSettings,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UpkSettings)
class UpkSettingsAdmin(admin.ModelAdmin):
    list_display = ["upk", "min_members", "ceiling_first_loan", "ceiling_repeat_loan"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "role", "upk", "is_active"]
    list_filter = ["kind", "role"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:  # type: ignore[override]
        # Postings find accounts by role (and cache them per process): once an
        # account exists its UPK, role and kind never change, as on the UPK's
        # own chart-of-accounts screen.
        return ["upk", "role", "kind"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LoanProduct)
class LoanProductAdmin(admin.ModelAdmin):
    list_display = ["name", "upk", "jasa_rate", "jasa_method", "frequency", "rounding_unit", "is_active"]


@admin.register(KSM)
class KSMAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "upk", "kelurahan", "is_active"]
    search_fields = ["code", "name"]


@admin.register(KSMMember)
class KSMMemberAdmin(admin.ModelAdmin):
    list_display = ["name", "ksm", "gender", "is_active"]
    search_fields = ["name"]


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    fields = ["account", "debit", "credit", "loan", "ksm", "memo"]
    readonly_fields = ["account", "debit", "credit", "loan", "ksm", "memo"]
    extra = 0
    can_delete = False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["number", "date", "kind", "description", "upk"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    inlines = [JournalLineInline]


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ["number", "ksm", "upk", "status", "principal", "disbursed_on"]
    list_filter = ["status"]
    search_fields = ["number", "ksm__name"]


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyAdmin):
    list_display = ["receipt_number", "loan", "paid_on", "amount", "is_reversed"]
    search_fields = ["receipt_number", "loan__number"]


@admin.register(AccountingPeriod)
class AccountingPeriodAdmin(ReadOnlyAdmin):
    list_display = ["upk", "year", "month", "is_closed"]
