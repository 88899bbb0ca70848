"""Optional read replica (`DATABASE_REPLICA_URL`): reports, the dashboard and the API read from it.

Reads are sent to the replica only inside `replica_reads()` (a context manager, also a decorator:
`use_replica`), which the dashboard view, the open-data API's list/detail and the report builders use;
everything else, and every write, stays on the primary. Without a replica alias the router changes
nothing. Raw SQL through `django.db.connection` always runs on the primary (the UPK ledger's aggregates
do that; see docs/performance.md, "Scale-out").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_reads: ContextVar[bool] = ContextVar("pokja_replica_reads", default=False)
F = TypeVar("F", bound=Callable[..., Any])


def replica_configured() -> bool:
    return bool(getattr(settings, "DATABASE_REPLICA_READS", False)) and REPLICA in connections.settings


@contextmanager
def replica_reads() -> Iterator[None]:
    """ORM reads inside the block go to the replica when one is configured."""
    token = _reads.set(True)
    try:
        yield
    finally:
        _reads.reset(token)


def use_replica(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _reads.get() and replica_configured():
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        # Explicit: an object read from the replica is still saved to the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA
