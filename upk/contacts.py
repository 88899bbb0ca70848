"""Write: the KSM chair's contact, to whom receipts and reminders go by WhatsApp (issue 14).

A service module of its own (not `upk/services.py`): it touches no money and no ledger row.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from . import permissions
from .ledger.actors import Actor
from .ledger.errors import LedgerError
from .models import KSM
from .receipts import wa_phone


@transaction.atomic
def ksm_chair_update(*, ksm: KSM, actor: Actor, chair_name: str, chair_phone: str) -> KSM:
    """Set the chair's name and WhatsApp number (stored as 62…; empty clears it); the history keeps the old ones."""
    user = permissions.check_post(actor, ksm.upk_id)
    phone = (chair_phone or "").strip()
    normalised = wa_phone(phone) if phone else ""
    if phone and not normalised:
        raise LedgerError(
            _("Nomor WhatsApp %(phone)s tidak dikenali: tulis nomor Indonesia, misalnya 0812 3456 7890.")
            % {"phone": phone}
        )
    ksm = KSM.objects.select_for_update().get(pk=ksm.pk)
    ksm.chair_name = (chair_name or "").strip()
    ksm.chair_phone = normalised
    ksm._history_user = user  # type: ignore[attr-defined]
    ksm._change_reason = _("Kontak ketua diubah")  # type: ignore[attr-defined]
    ksm.save(update_fields=["chair_name", "chair_phone"])
    return ksm
