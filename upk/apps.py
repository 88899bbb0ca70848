from typing import Any

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_save


class UpkConfig(AppConfig):
    name = "upk"
    # Demo data steps run by `seed_demo` (order, dotted path of seed(*, rng, scale)).
    demo_steps = ((30, "upk.demo.seed"),)
    verbose_name = "UPK — pinjaman bergulir"

    def ready(self) -> None:
        from bkm.links import register_unit_link
        from bkm.models import Unit
        from core.backup import BackupCheck, register_check
        from core.landing import LandingPanel, register_panel
        from core.models import User

        from .landing import manager_panel, upk_books_link

        register_panel(LandingPanel("upk", "upk/_landing.html", manager_panel, order=10))
        register_unit_link("upk", upk_books_link)
        register_check(BackupCheck("trial_balances", _backup_trial_balances, _backup_verify))
        post_save.connect(_setup_new_upk, sender=Unit, dispatch_uid="upk_setup_new_unit")
        m2m_changed.connect(_forget_managed_upks, sender=User.upk_units.through, dispatch_uid="upk_forget_managed")
        # A deploy runs `migrate`: results derived by the previous code are not reused (figures.derived).


def _setup_new_upk(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """Every new UPK unit gets its settings and default chart of accounts, so
    the ledger services can post to it straight away."""
    if created and not raw and instance.unit_type == "upk":
        from .services.settings import upk_setup

        upk_setup(upk=instance)


def _backup_trial_balances() -> Any:
    from .backup import trial_balances

    return trial_balances()


def _backup_verify(expected: Any) -> list[str]:
    from .backup import verify_trial_balances

    return verify_trial_balances(expected)


def _forget_managed_upks(sender: Any, instance: Any, reverse: bool, **kwargs: Any) -> None:
    """A user's cached UPK scope (`permissions.managed_upk_ids`) is dropped when
    their `upk_units` change through that user object. (Changes made from the
    unit side reach other user objects only on their next request.)"""
    if not reverse:
        from .permissions import forget_managed_upks

        forget_managed_upks(instance)
