from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The public face (issue 15): pages without login, the map's data, and what of it is public."""

    name = "public"
    verbose_name = "Halaman publik"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_delete, post_save

        from core.landing import LandingPage, register_page
        from reports.dashboard import Panel, register_panel

        from . import cache
        from .dashboard import map_panel
        from .views import overview

        # Visitors who are not signed in land on the public overview; users keep their landing page.
        register_page(LandingPage("public", lambda user: not user.is_authenticated, overview, order=0))
        register_panel(Panel("peta", "public/_dashboard_map.html", map_panel, order=30))
        # A write to anything the public pages show starts a new cache generation.
        for label in PUBLIC_MODELS:
            model = apps.get_model(label)
            post_save.connect(cache.invalidate, sender=model, dispatch_uid=f"public-cache-save-{label}")
            post_delete.connect(cache.invalidate, sender=model, dispatch_uid=f"public-cache-delete-{label}")


PUBLIC_MODELS = (
    "bkm.Kecamatan",
    "bkm.Kelurahan",
    "bkm.BKM",
    "bkm.BoardMember",
    "bkm.Unit",
    "bkm.Document",
    "bkm.DocumentVersion",
    "bkm.SlumArea",
    "bkm.SlumMeasure",
    "bkm.OPD",
    "bkm.Proposal",
    "bkm.RPLPItem",
    "upk.MonthlyPackage",
)
