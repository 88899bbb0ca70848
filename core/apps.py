import contextlib
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _outbox_acknowledge(sender: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    from .outbox import outbox_acknowledge

    if task_id:
        outbox_acknowledge(task_id=task_id)


def _forget_kept(**kwargs: Any) -> None:
    from .versions import forget

    with contextlib.suppress(Exception):  # no cache reachable while migrating: nothing kept there to forget
        forget()


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Pengguna dan peran"

    def ready(self) -> None:
        from celery.signals import task_prerun

        from . import lookups  # noqa: F401 - registers `__any_of`

        post_migrate.connect(_forget_kept, sender=self, dispatch_uid="core_forget_kept")
        task_prerun.connect(_outbox_acknowledge, weak=False, dispatch_uid="core.outbox.acknowledge")
