"""The benchmarks' own databases (`pokja_bench_*`) on the development PostgreSQL server."""

from __future__ import annotations

import os

PG_URL = os.environ.get("POKJA_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def url(name: str) -> str:
    return f"{PG_URL}/{name}"


def exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def ensure_database(name: str, *, template: str | None = None) -> bool:
    """Create database `name` if it does not exist (as a copy of `template`, which nobody may be
    connected to); True when it was created."""
    import psycopg

    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False  # built already (or a copy named by POKJA_BENCH_PAGES_*_DB: bench.dashboard_bench)
        assert name.startswith("pokja_bench"), f"bench databases are named pokja_bench_*: {name}"
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return True


def drop_database(name: str) -> None:
    import psycopg

    assert name.startswith("pokja_bench"), name
    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
