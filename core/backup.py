"""Backup and restore of the whole portal: the database and the uploaded files together (docs/operations.md).

A backup is a directory `pokja-<YYYYmmdd-HHMMSS>/` holding

- `database.dump`  — `pg_dump --format=custom` of the database,
- `media.tar`      — every file a row names (documents, attachments, thumbnails, imports, report PDFs),
- `manifest.json`  — row counts of every table, what each app's registered `BackupCheck` records
  (the UPK ledger: the trial balance of every UPK) and the SHA-256 of every file.

The dump, the counts, the trial balances and the list of files all come from ONE database snapshot
(a REPEATABLE READ transaction whose snapshot `pg_dump --snapshot` uses), so they agree with each
other even while the portal is in use; files are never changed once stored, so the tar taken right
after holds every file the snapshot names.

`restore` loads a backup into an empty deployment (a database with no tables, an empty MEDIA_ROOT)
and `verify` compares what is there with the manifest: row counts, each registered check (the UPK
ledger's: every UPK's trial balance, that debits equal credits, and the ledger's caches), and the
SHA-256 of every file a row names.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .media import referenced_names


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (Indonesian)."""


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    db = connection.settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, args


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (catalogue names)
            counts[table] = cursor.fetchone()[0]
    return counts


@dataclass(frozen=True)
class BackupCheck:
    """An app's own figures in the manifest, and their verification after a
    restore. Apps register theirs in `AppConfig.ready()` (the UPK ledger: every
    UPK's trial balance and its cache drift — `upk/backup.py`), so `core`
    imports no app."""

    key: str  # the manifest key the recorded value is stored under
    record: Callable[[], Any]  # runs inside the backup's database snapshot; JSON-serialisable
    verify: Callable[[Any], list[str]]  # the recorded value → problems in this deployment (empty: verified)


_CHECKS: dict[str, BackupCheck] = {}
_RESERVED = {"format", "created_at", "database", "tables", "files", "missing_at_backup"}


def register_check(check: BackupCheck) -> BackupCheck:
    if check.key in _RESERVED:
        raise ValueError(f"manifest key {check.key!r} is the backup's own")
    _CHECKS[check.key] = check
    return check


def registered_checks() -> list[BackupCheck]:
    return [_CHECKS[key] for key in sorted(_CHECKS)]


def backup_create(*, output: Path) -> Path:
    """Write a backup directory under `output`; returns it."""
    if connection.vendor != "postgresql":
        raise BackupError("Cadangan hanya untuk PostgreSQL (mode tertanam memakai berkas SQLite: salin saja).")
    media_root = Path(settings.MEDIA_ROOT)
    target = Path(output) / f"pokja-{timezone.localtime():%Y%m%d-%H%M%S}"
    target.mkdir(parents=True, exist_ok=False)
    env, args = _pg_env_and_args()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        done = subprocess.run(
            ["pg_dump", *args, "--format=custom", "--no-owner", "--no-acl", f"--snapshot={snapshot}"]
            + ["--file", str(target / "database.dump"), str(connection.settings_dict["NAME"])],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump gagal: {done.stderr.strip()[-2000:]}")
        counts = table_counts()
        recorded = {check.key: check.record() for check in registered_checks()}
        names = sorted(referenced_names())
    files: dict[str, str] = {}
    missing: list[str] = []
    with tarfile.open(target / "media.tar", "w") as tar:
        for name in names:
            path = media_root / name
            if not path.is_file():
                missing.append(name)
                continue
            files[name] = _sha256(path)
            tar.add(path, arcname=name, recursive=False)
    manifest = {
        "format": 1,
        "created_at": timezone.now().isoformat(),
        "database": str(connection.settings_dict["NAME"]),
        "tables": counts,
        **recorded,
        "files": files,
        "missing_at_backup": missing,
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return target


def _read_manifest(backup: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(backup) / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"manifest.json tidak terbaca di {backup}: {exc}") from exc


def backup_restore(*, backup: Path) -> None:
    """Load a backup into an empty deployment (no tables in the database, nothing in MEDIA_ROOT)."""
    backup = Path(backup)
    _read_manifest(backup)
    if table_counts():
        raise BackupError("Basis data tujuan tidak kosong; pemulihan hanya ke basis data baru yang kosong.")
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"MEDIA_ROOT ({media_root}) tidak kosong; pemulihan hanya ke direktori kosong.")
    env, args = _pg_env_and_args()
    connection.close()
    done = subprocess.run(
        ["pg_restore", *args, "--no-owner", "--no-acl", "--exit-on-error"]
        + ["--dbname", str(connection.settings_dict["NAME"]), str(backup / "database.dump")],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore gagal: {done.stderr.strip()[-2000:]}")
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(backup / "media.tar") as tar:
        tar.extractall(media_root, filter="data")  # no absolute paths, no "..", no links out


def backup_verify(*, backup: Path) -> list[str]:
    """What differs between this deployment and the backup's manifest (empty: all verified)."""
    manifest = _read_manifest(Path(backup))
    problems: list[str] = []
    counts = table_counts()
    for table, expected in manifest["tables"].items():
        if counts.get(table) != expected:
            problems.append(f"tabel {table}: {counts.get(table)} baris, cadangan {expected}")
    for check in registered_checks():
        if check.key not in manifest:
            problems.append(f"manifest tidak memuat {check.key}")
            continue
        problems += check.verify(manifest[check.key])
    media_root = Path(settings.MEDIA_ROOT)
    for name, digest in manifest["files"].items():
        path = media_root / name
        if not path.is_file():
            problems.append(f"berkas hilang: {name}")
        elif _sha256(path) != digest:
            problems.append(f"berkas berubah (SHA-256): {name}")
    for name in sorted(referenced_names() - set(manifest["files"]) - set(manifest.get("missing_at_backup", []))):
        problems.append(f"berkas dirujuk basis data tetapi tidak ada di cadangan: {name}")
    return problems


def missing_media() -> list[str]:
    """Files a row names that MEDIA_ROOT lacks, sorted."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(name for name in referenced_names() if not (root / name).is_file())
