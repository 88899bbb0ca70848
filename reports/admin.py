from django.contrib import admin

from .models import ReportRun, ReportSubscription, WarningAcknowledgement


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["id", "report_type", "status", "progress", "requested_by", "queued_at", "finished_at"]
    list_filter = ["status", "report_type"]
    search_fields = ["id", "task_id", "requested_by__username"]
    # Runs change only through the report services (and the watchdog).
    readonly_fields = [f.name for f in ReportRun._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "report_type", "is_active", "created_at"]
    list_filter = ["report_type", "is_active"]


@admin.register(WarningAcknowledgement)
class WarningAcknowledgementAdmin(admin.ModelAdmin):
    list_display = ["key", "subject", "acknowledged_by", "acknowledged_at"]
    search_fields = ["key", "subject", "note"]
