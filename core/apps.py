from typing import Any

from django.apps import AppConfig


def _outbox_acknowledge(sender: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    from .outbox import outbox_acknowledge

    if task_id:
        outbox_acknowledge(task_id=task_id)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Pengguna dan peran"

    def ready(self) -> None:
        from celery.signals import task_prerun

        from . import lookups  # noqa: F401 - registers `__any_of`

        task_prerun.connect(_outbox_acknowledge, weak=False, dispatch_uid="core.outbox.acknowledge")
