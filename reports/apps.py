from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Laporan"

    def ready(self) -> None:
        # Registers the report types, dashboard panels and warning providers.
        from . import dashboard, report_types, warnings  # noqa: F401
