from django.contrib import admin

from .models import Category, CategoryPermission, EmailDelivery, MaterialCategory, Meeting, ModerationLog, Report


class CategoryPermissionInline(admin.TabularInline):
    model = CategoryPermission
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kecamatan", "position"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["moderators"]
    inlines = [CategoryPermissionInline]


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "thread", "target_user", "reason"]
    list_filter = ["action"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "reporter", "post", "status", "outcome"]
    list_filter = ["status", "outcome"]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "outcome", "subject"]
    list_filter = ["kind", "outcome"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "place"]
    filter_horizontal = ["invited_bkms"]


@admin.register(MaterialCategory)
class MaterialCategoryAdmin(admin.ModelAdmin):
    """The library's categories; materials and trainings themselves are managed in the portal."""

    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}
