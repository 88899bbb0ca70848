from django.apps import AppConfig
from django.db.models.signals import post_save


class UpkConfig(AppConfig):
    name = "upk"
    verbose_name = "UPK — pinjaman bergulir"

    def ready(self) -> None:
        from bkm.models import Unit

        post_save.connect(_setup_new_upk, sender=Unit, dispatch_uid="upk_setup_new_unit")


def _setup_new_upk(sender, instance, created, raw=False, **kwargs) -> None:
    """Every new UPK unit gets its settings and default chart of accounts, so
    the ledger services can post to it straight away."""
    if created and not raw and instance.unit_type == "upk":
        from .services import upk_setup

        upk_setup(upk=instance)
