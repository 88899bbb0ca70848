"""Results of the early warnings' rules and the dashboard's panels, kept in the cache (Redis) while their
inputs have not changed (issue 12: the dashboard's warnings card ran every rule over 1,000 BKMs per request).

How validity is known: core's data versions (`core.versions`): the triggers of migration
reports.0004_warning_input_versions raise a number of each group of the warnings' inputs
(`INPUT_VERSIONS`: registry, proposals, forum, acknowledgements, packages) on every write to one of its
tables; upk's triggers raise each UPK's figures version on every write to the inputs of its figures (the
journal included). Both come from sequences, so no number is given twice. A result is kept under
`Tokens` read before computing (one query, through the router like the rules' own reads, so a replica's lag
only keys results at least as new as the token), the day, the language and core's cache generation (a new
one after `migrate` and between tests: `core.versions.forget`): a write to any input gives another token,
so the next reader computes the result again through the usual rules. Only results are kept, never a rule.

Two warning rules read the clock (a proposal stuck for N days, a BKM silent for N months): what they find
can change at a time of day no write marks, so a kept warning result also expires after
REPORTS_WARNINGS_KEPT_SECONDS.

A result may be kept under `Tokens.inputs` only if every table it reads is in that migration's list; under
`Tokens.upk`, if every table it reads is in that list or is an input of the UPKs' figures versions (upk
migration 0020). Without the triggers (SQLite: the embedded demo) or without the cache, everything is
computed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import connections, router
from django.utils import timezone
from django.utils.translation import get_language

from core import versions
from core.models import DataVersion

from . import conf

T = TypeVar("T")

# The data versions of the warnings' inputs (migration reports.0004_warning_input_versions).
INPUT_VERSIONS = ("warnings_ack", "warnings_forum", "warnings_package", "warnings_proposal", "warnings_registry")


@dataclass(frozen=True)
class Tokens:
    inputs: str | None  # every group of the warnings' inputs (registry, forum, proposals, ...)
    upk: str | None  # those, and every UPK's figures version


# The versions of the warnings' inputs (how many of them exist: a missing one keeps nothing); every UPK's
# figures version summed up (each rise is a larger number from a sequence, so any committed rise, or a
# UPK's first, changes count, sum or max); the transaction's id when it has written (its own uncommitted
# rises: a token no other transaction can read).
_TOKENS = """
    SELECT (SELECT count(*) FROM core_dataversion WHERE name = ANY(%s)),
           (SELECT string_agg(name || ':' || version, ',' ORDER BY name) FROM core_dataversion WHERE name = ANY(%s)),
           (SELECT count(*) || ':' || coalesce(sum(version), 0) || ':' || coalesce(max(version), 0)
              FROM upk_figuresversion),
           pg_current_xact_id_if_assigned()::text
"""


def tokens() -> Tokens:
    """The tokens of the kept results' inputs (one query), or Nones without the triggers that raise them.
    Read on the database the rules then read (a replica's, under `use_replica`)."""
    connection = connections[router.db_for_read(DataVersion)]
    if connection.vendor != "postgresql":
        return Tokens(None, None)
    names = list(INPUT_VERSIONS)
    with connection.cursor() as cursor:
        cursor.execute(_TOKENS, [names, names])
        found, versions, figures, xact = cursor.fetchone()
    if found != len(names):
        return Tokens(None, None)
    inputs = f"{versions};{xact or ''}"
    return Tokens(inputs=inputs, upk=f"{inputs};{figures}")


def kept(
    name: str,
    token: str | None,
    compute: Callable[[], T],
    *,
    keep: Callable[[T], bool] | None = None,
    seconds: int | None = None,
) -> T:
    """`compute()`, kept under `token` (of `tokens()`), today's date and the language for `name`, at most
    `seconds` (default REPORTS_WARNINGS_KEPT_SECONDS: the rules that read the clock), in core's cache
    generation. `keep(result)` False: not kept (e.g. a rule that failed, so a passing fault does not stay)."""
    if token is None:
        return compute()
    # The token hashed: a short stamp however many groups and digits it grows.
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    entry = f"reports:kept:{name}:{timezone.localdate():%Y-%m-%d}:{get_language()}"
    timeout = conf.get("REPORTS_WARNINGS_KEPT_SECONDS") if seconds is None else seconds
    return versions.cached(entry, digest, compute, seconds=timeout, keep=keep)
