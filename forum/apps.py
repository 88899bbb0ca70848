from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    # Demo data steps run by `seed_demo` (order, dotted path of seed(*, rng, scale)).
    demo_steps = ((40, "forum.demo.seed"), (45, "forum.demo_library.seed"))

    def ready(self) -> None:
        from core.landing import LandingPanel, register_panel

        from .landing import forum_panel

        register_panel(LandingPanel("forum", "forum/_landing.html", forum_panel, order=30))
