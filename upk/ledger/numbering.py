"""Gapless per-UPK numbers (journal, receipt, loan): `upk_counter` rows, one statement, held to commit.

Lock order: counters are always taken after the loan locks (`locks`) and in name order, so every posting takes its locks in the same order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection


def reserve_numbers(upk_id: int, counts: Mapping[str, int]) -> dict[str, range]:
    """Reserve gapless per-UPK numbers for several counters in one statement.
    The counter rows stay locked to commit; they are always taken after the
    loan locks and in name order ("journal" before "receipt"), so lock order
    is fixed everywhere."""
    names = sorted(n for n, c in counts.items() if c > 0)
    if not names:
        return {}
    values = ", ".join(["(%s, %s, %s)"] * len(names))
    params: list[Any] = []
    for name in names:
        params += [upk_id, name, counts[name]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO upk_counter (upk_id, name, value) VALUES {values} "  # noqa: S608 - placeholders only
            "ON CONFLICT (upk_id, name) DO UPDATE SET value = upk_counter.value + EXCLUDED.value "
            "RETURNING name, value",
            params,
        )
        rows = cursor.fetchall()
    return {name: range(int(last) - counts[name] + 1, int(last) + 1) for name, last in rows}


def next_numbers(upk_id: int, name: str, count: int = 1) -> range:
    return reserve_numbers(upk_id, {name: count})[name]


def next_number(upk_id: int, name: str) -> int:
    return next_numbers(upk_id, name)[0]
