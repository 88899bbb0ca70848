"""Back-office edits of the registry. Every model keeps its history
(SimpleHistoryAdmin shows it); status of proposals only moves through
bkm.services.proposal_transition, so it is read-only here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    BKM,
    OPD,
    Assessment,
    AssessmentAspect,
    AssessmentScore,
    AuditRecord,
    BankAccount,
    BoardMember,
    Document,
    DocumentVersion,
    Election,
    Handover,
    Kecamatan,
    Kelurahan,
    Proposal,
    ProposalEvent,
    RPLPItem,
    SlumArea,
    SlumMeasure,
    Unit,
    UnitPerson,
)


@admin.register(Kecamatan)
class KecamatanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "capital"]


@admin.register(Kelurahan)
class KelurahanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kecamatan"]
    list_filter = ["kecamatan"]


class BankAccountInline(admin.TabularInline):
    model = BankAccount
    extra = 0


@admin.register(BKM)
class BKMAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kelurahan", "status"]
    list_filter = ["status", "kelurahan__kecamatan"]
    search_fields = ["name", "kelurahan__name"]
    list_select_related = ["kelurahan"]
    inlines = [BankAccountInline]


class UnitPersonInline(admin.TabularInline):
    model = UnitPerson
    extra = 0


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "bkm", "unit_type", "is_active"]
    list_filter = ["unit_type"]
    list_select_related = ["bkm"]
    inlines = [UnitPersonInline]


@admin.register(BankAccount)
class BankAccountAdmin(SimpleHistoryAdmin):
    list_display = ["bank_name", "account_number", "account_holder", "bkm", "is_active"]
    search_fields = ["account_number", "account_holder", "bkm__name"]


@admin.register(Handover)
class HandoverAdmin(SimpleHistoryAdmin):
    list_display = ["bkm", "handover_date", "legal_basis"]
    list_select_related = ["bkm"]


@admin.register(Election)
class ElectionAdmin(SimpleHistoryAdmin):
    list_display = ["bkm", "election_date", "adults", "voters"]
    list_select_related = ["bkm"]


@admin.register(BoardMember)
class BoardMemberAdmin(SimpleHistoryAdmin):
    list_display = ["name", "bkm", "position", "gender", "term_start", "term_end", "is_active"]
    list_filter = ["position", "gender", "is_active"]
    search_fields = ["name", "nik", "bkm__name"]
    list_select_related = ["bkm"]


@admin.register(UnitPerson)
class UnitPersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "unit", "position", "is_active"]
    list_filter = ["position", "unit__unit_type"]
    search_fields = ["name", "unit__bkm__name"]
    list_select_related = ["unit__bkm"]


class DocumentVersionInline(admin.TabularInline):
    model = DocumentVersion
    extra = 0
    readonly_fields = [
        "version",
        "original_name",
        "extension",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    ]
    exclude = ["file"]  # uploads go through the checked portal form, never the admin
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    list_display = ["title", "doc_type", "bkm", "created_at"]
    list_filter = ["doc_type"]
    search_fields = ["title", "bkm__name"]
    list_select_related = ["bkm"]
    inlines = [DocumentVersionInline]


class SlumMeasureInline(admin.TabularInline):
    model = SlumMeasure
    extra = 0


@admin.register(SlumArea)
class SlumAreaAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kelurahan", "sk_number", "sk_year", "area_ha", "typology"]
    list_filter = ["sk_year", "typology", "kelurahan__kecamatan"]
    inlines = [SlumMeasureInline]


@admin.register(SlumMeasure)
class SlumMeasureAdmin(SimpleHistoryAdmin):
    list_display = ["slum_area", "year"]


@admin.register(OPD)
class OPDAdmin(SimpleHistoryAdmin):
    list_display = ["name", "acronym", "contact_person", "phone"]
    search_fields = ["name", "acronym"]


class ProposalEventInline(admin.TabularInline):
    model = ProposalEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "at", "note"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Proposal)
class ProposalAdmin(SimpleHistoryAdmin):
    list_display = ["title", "bkm", "opd", "year", "status", "budget_proposed", "budget_approved"]
    list_filter = ["status", "year", "opd", "funding_source"]
    search_fields = ["title", "bkm__name"]
    readonly_fields = ["status"]
    list_select_related = ["bkm", "opd"]
    inlines = [ProposalEventInline]


@admin.register(AssessmentAspect)
class AssessmentAspectAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "default_weight", "order", "is_active"]
    list_editable = ["default_weight", "order", "is_active"]


class AssessmentScoreInline(admin.TabularInline):
    model = AssessmentScore
    extra = 0


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["bkm", "year", "total_score", "assessor"]
    list_filter = ["year"]
    readonly_fields = ["total_score"]
    inlines = [AssessmentScoreInline]


@admin.register(AuditRecord)
class AuditRecordAdmin(SimpleHistoryAdmin):
    list_display = ["bkm", "fiscal_year", "auditor", "opinion", "follow_up_status"]
    list_filter = ["fiscal_year", "opinion", "follow_up_status"]


@admin.register(RPLPItem)
class RPLPItemAdmin(SimpleHistoryAdmin):
    list_display = ["title", "bkm", "aspect", "year", "budget", "funding_source"]
    list_filter = ["aspect", "year", "funding_source"]
    search_fields = ["title", "bkm__name"]
    autocomplete_fields = ["bkm"]
