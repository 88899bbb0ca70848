from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "bkm", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Peran portal", {"fields": ("role", "bkm", "is_coordinator", "upk_units", "phone")}),
    )
    filter_horizontal = ["upk_units", "groups", "user_permissions"]
