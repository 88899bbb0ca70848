"""Results kept per data version (core.versions): a write to any table a result reads makes the next
reader compute it again, whatever wrote the row; nothing is kept where no trigger raises the number."""

from __future__ import annotations

import pytest
from django.db import connection

from core import versions
from forum import permissions as perms
from forum.models import CategoryPermission

pytestmark = pytest.mark.django_db


def _counting(value: object):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_kept_computes_once_while_the_version_stands():
    compute, calls = _counting("A")
    assert versions.kept(perms.ACCESS_VERSION, "k", compute) == "A"
    assert versions.kept(perms.ACCESS_VERSION, "k", compute) == "A"
    assert len(calls) == 1


def test_kept_computes_again_after_a_write_by_sql(member):
    before = versions.version(perms.ACCESS_VERSION)
    compute, calls = _counting("A")
    versions.kept(perms.ACCESS_VERSION, "k", compute)
    # A bulk write no Django signal sees: the trigger still raises the number.
    CategoryPermission.objects.filter(role="bkm_member").update(own_kecamatan_only=True)
    assert int(versions.version(perms.ACCESS_VERSION)) > int(before)
    versions.kept(perms.ACCESS_VERSION, "k", compute)
    assert len(calls) == 2


def test_kept_ignores_updates_of_other_columns(bkm):
    before = versions.version(perms.ACCESS_VERSION)
    bkm.save()  # rewrites every column, kelurahan unchanged
    assert versions.version(perms.ACCESS_VERSION) == before


def test_forget_makes_every_kept_result_stale():
    compute, calls = _counting("A")
    versions.kept(perms.ACCESS_VERSION, "k", compute)
    versions.forget()
    versions.kept(perms.ACCESS_VERSION, "k", compute)
    assert len(calls) == 2


def test_kept_computes_without_a_version_row():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_dataversion")
    compute, calls = _counting("A")
    versions.kept(perms.ACCESS_VERSION, "k", compute)
    versions.kept(perms.ACCESS_VERSION, "k", compute)
    assert len(calls) == 2
