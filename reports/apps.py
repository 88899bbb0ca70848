from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    # Demo data steps run by `seed_demo` (order, dotted path of seed(*, rng, scale)).
    demo_steps = ((50, "reports.demo.seed"),)
    verbose_name = "Laporan"

    def ready(self) -> None:
        # Registers the report types, dashboard panels and warning providers.
        from core.landing import LandingPage, register_page
        from core.permissions import is_staff

        from . import dashboard, report_types, warnings  # noqa: F401
        from .views import dashboard as dashboard_view

        # Staff land on the city dashboard.
        register_page(LandingPage("dashboard", is_staff, dashboard_view, order=10))
