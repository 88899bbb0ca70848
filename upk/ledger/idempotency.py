"""Idempotency keys: the same form (double click, retry, concurrent twin) posts once and returns the first result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from ..models import (
    JournalEntry,
)
from .errors import LedgerError

M = TypeVar("M", bound=models.Model)
R = TypeVar("R")


def existing_by_key(model: type[M], key: str) -> M | None:
    return model._default_manager.filter(idempotency_key=key).first() if key else None


def upk_scoped_key(*, upk_id: int, key: str) -> str:
    """The stored form of a form's idempotency key: scoped by its UPK, so a key that matches
    another UPK's row is a new key here, never an answer with that UPK's entry."""
    return f"{upk_id}:{key}"


def require_key(key: str, upk_id: int) -> str:
    key = (key or "").strip()
    if not key:
        raise LedgerError(_("Kunci formulir (idempotency key) wajib ada."))
    if len(key) > 64:
        raise LedgerError(_("Kunci formulir terlalu panjang."))
    return upk_scoped_key(upk_id=upk_id, key=key)


def idempotent(model: type[M], key: str, fn: Callable[[], M], same: Callable[[M], bool] | None = None) -> M:
    """Run `fn` atomically; when the key was already used (the UNIQUE
    constraint fires: a double click, a retry, a concurrent twin), everything
    is rolled back and the first row is returned — or refused when `same`
    says it was a different action."""
    try:
        with transaction.atomic():
            return fn()
    except IntegrityError:
        existing = existing_by_key(model, key)
        if existing is None:
            raise
        if same is not None and not same(existing):
            raise LedgerError(_("Formulir ini sudah dipakai untuk pembayaran lain.")) from None
        return existing


def idempotent_entry(key: str, run: Callable[[], R], found: Callable[[JournalEntry], R]) -> R:
    """For events keyed by their journal entry's idempotency key (savings,
    vouchers, capital, reserve, recovery): a key already used returns what it
    made (`found` maps the entry to it), whether it was committed before
    (looked up first) or by a concurrent twin (the UNIQUE constraint fires,
    everything here rolls back)."""
    try:
        with transaction.atomic():
            existing = existing_by_key(JournalEntry, key)
            if existing is not None:
                return found(existing)
            return run()
    except IntegrityError:
        existing = existing_by_key(JournalEntry, key)
        if existing is None:
            raise
        return found(existing)
