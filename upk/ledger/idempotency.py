"""Idempotency keys: the same form (double click, retry, concurrent twin) posts once and returns the first result.

A form's key is made by the server when the form is shown (`form_key_issue`): a random nonce
(`secrets.token_urlsafe`) signed with the site's secret for the user who is shown the form and the
UPK it posts to. When the form comes back, `form_key_open` checks the signature against the user who
sends it and the UPK it is sent to — a key copied into another user's request or another UPK's form
is refused — and gives the key the services store: the nonce prefixed by the actor, which the
services prefix by the UPK (`require_key`). So a stored key is unique per UPK and per actor, and no
lookup can ever find another UPK's or another actor's row.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.core import signing
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from ..models import (
    JournalEntry,
)
from .errors import LedgerError

M = TypeVar("M", bound=models.Model)
R = TypeVar("R")

# Inside `all_or_nothing()` a failure ends the whole transaction anyway, so the
# savepoint that lets `idempotent` look up the first row after a duplicate key
# has nothing to recover; the import's first pass posts thousands of rows and
# each savepoint is two round trips.
_ALL_OR_NOTHING: ContextVar[bool] = ContextVar("upk_all_or_nothing", default=False)


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """A block whose caller rolls the whole transaction back at the first
    error (the import's first pass; its careful second pass does not use
    this, so a duplicate key there is found and reported as usual)."""
    token = _ALL_OR_NOTHING.set(True)
    try:
        yield
    finally:
        _ALL_OR_NOTHING.reset(token)


def _keyed_block() -> transaction.Atomic:
    return transaction.atomic(savepoint=not _ALL_OR_NOTHING.get())


def existing_by_key(model: type[M], key: str) -> M | None:
    return model._default_manager.filter(idempotency_key=key).first() if key else None


def upk_scoped_key(*, upk_id: int, key: str) -> str:
    """The stored form of a form's idempotency key: scoped by its UPK, so a key that matches
    another UPK's row is a new key here, never an answer with that UPK's entry."""
    return f"{upk_id}:{key}"


def actor_scoped_key(*, actor_id: int, key: str) -> str:
    """A key as the services get it from a user's form: prefixed by the actor, so the same key sent
    by another user is another key (keys a client must make itself, e.g. offline, go through this too)."""
    return f"a{actor_id}-{key}"


def _form_key_signer(*, actor_id: int, upk_id: int) -> signing.Signer:
    return signing.Signer(salt=f"upk.form-key:{upk_id}:{actor_id}")


def form_key_issue(*, actor_id: int, upk_id: int) -> str:
    """A new key for a form that `actor_id` is shown to post to UPK `upk_id` (68 characters)."""
    return _form_key_signer(actor_id=actor_id, upk_id=upk_id).sign(secrets.token_urlsafe(18))


def form_key_open(token: str, *, actor_id: int, upk_id: int) -> str:
    """The key to give the services for a form's `token`, if the server issued it to this actor for
    this UPK; otherwise a LedgerError (a key replayed by another user, for another UPK, or made up)."""
    try:
        nonce = _form_key_signer(actor_id=actor_id, upk_id=upk_id).unsign(str(token or ""))
    except signing.BadSignature:
        raise LedgerError(
            _("Formulir ini tidak berlaku untuk Anda atau UPK ini. Muat ulang halaman lalu isi lagi.")
        ) from None
    return actor_scoped_key(actor_id=actor_id, key=nonce)


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
        with _keyed_block():
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
        with _keyed_block():
            existing = existing_by_key(JournalEntry, key)
            if existing is not None:
                return found(existing)
            return run()
    except IntegrityError:
        existing = existing_by_key(JournalEntry, key)
        if existing is None:
            raise
        return found(existing)
