from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import BKM, Kecamatan, Kelurahan, Unit


@admin.register(Kecamatan)
class KecamatanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "capital"]


@admin.register(Kelurahan)
class KelurahanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kecamatan"]
    list_filter = ["kecamatan"]


@admin.register(BKM)
class BKMAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kelurahan", "status"]
    list_filter = ["status", "kelurahan__kecamatan"]
    search_fields = ["name", "kelurahan__name"]


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "bkm", "unit_type", "is_active"]
    list_filter = ["unit_type"]
