"""Uploaded files no row refers to any more.

A file is stored before its row is saved; should the surrounding transaction
roll back later, the file stays behind. It is never served (every download
goes through a row and a permission check), but it takes space and may hold
personal data, so `manage.py media_orphans --delete` removes such files once
they are old enough that no upload can still be in flight.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models


def referenced_names() -> set[str]:
    """Every stored name in every FileField of every model (one query a field)."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField) and not field.many_to_many:
                values = model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)
                names.update(v for v in values if v)
    return names


def orphan_files(*, older_than: timedelta, root: Path | None = None) -> list[Path]:
    """Files under MEDIA_ROOT not referenced by any row and not modified for
    `older_than`, sorted."""
    root = Path(root or settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    known = referenced_names()
    cutoff = time.time() - older_than.total_seconds()
    found = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for filename in filenames:
            path = Path(dirpath) / filename
            if path.relative_to(root).as_posix() in known:
                continue
            if path.stat().st_mtime <= cutoff:
                found.append(path)
    return sorted(found)
