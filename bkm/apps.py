from django.apps import AppConfig


class BkmConfig(AppConfig):
    name = "bkm"
    # Demo data steps run by `seed_demo` (order, dotted path of seed(*, rng, scale)).
    demo_steps = (
        (10, "bkm.demo.seed_with_users"),
        (20, "bkm.demo_extra.seed"),
        (25, "bkm.demo_rplp.seed"),
        (26, "bkm.demo_self_service.seed"),
        (30, "bkm.demo_public.seed"),
    )

    def ready(self) -> None:
        from core.landing import LandingPanel, register_panel

        from .landing import bkm_panel

        register_panel(LandingPanel("bkm", "bkm/_landing.html", bkm_panel, order=20))
