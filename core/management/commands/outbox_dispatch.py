"""Send the outbox's due messages to the broker (cron on the web host; works with no worker running)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.models import OutboxMessage, OutboxStatus
from core.outbox import outbox_dispatch


class Command(BaseCommand):
    help = "Antrekan tugas yang tercatat tetapi belum diterima broker (outbox)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = outbox_dispatch()
        waiting = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()
        self.stdout.write(f"terkirim={sent} menunggu={waiting}")
