"""Retire `upk_repayment_append` (migration 0012): the allocation, numbering,
journal legs and paid-off transition it wrote in PL/pgSQL live only in Python
now (`upk/ledger/`). The database keeps its guards: the balance and
append-only triggers (0002), the loan-state guard (0011) and the constraints.
Going back recreates the function from migration 0012's text."""

from __future__ import annotations

import importlib

from django.db import migrations

_OLD = importlib.import_module("upk.migrations.0012_repayment_append_function")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(_OLD.BACKWARD)


def backward(apps, schema_editor):
    _OLD.forward(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("upk", "0014_merge_importjob_worker_posting_days")]

    operations = [migrations.RunPython(forward, backward)]
