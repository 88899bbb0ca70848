"""Who posts: the user a service acts for. Views pass `request.user`; every
public service checks the actor's permission first (`upk.permissions`), which
refuses an anonymous user, so the ledger records a real user as author."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from core.models import User

Actor: TypeAlias = "User | AnonymousUser"
