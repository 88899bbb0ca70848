"""Builders read set-based: a book of many BKMs costs the same number of queries as a book of two."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.builders import profil_bkm
from tests.factories import BKMFactory

from .conftest import registry_record


def _build_queries() -> int:
    with CaptureQueriesContext(connection) as ctx:
        profil_bkm.build(params={}, progress=lambda pct, msg: None)
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_profil_bkm_build_queries_do_not_grow_with_bkms():
    for _ in range(2):
        registry_record(BKMFactory())
    few = _build_queries()
    for _ in range(5):
        registry_record(BKMFactory())
    assert _build_queries() == few


@pytest.mark.django_db
def test_profil_bkm_build_board_section_uses_registry_warnings():
    from bkm.selectors import bkm_warnings

    bkm = BKMFactory()
    registry_record(bkm)
    context = profil_bkm.build(params={"bkm": bkm.pk}, progress=lambda pct, msg: None)
    ((_kecamatan, profiles),) = context["groups"]
    sections = {section.key: data for section, data in profiles[0]["sections"]}
    assert [w.code for w in sections["pengurus"]["warnings"]] == [w.code for w in bkm_warnings(bkm)]
    assert sections["dokumen"]["missing_required"] == ["AD/ART", "PJM Pronangkis / RPLP"]
    (area,) = sections["kumuh"]["areas"]
    assert [m.year for m in area["measures"]] == [2022, 2024, 2026]
