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


@pytest.mark.django_db
def test_profil_bkm_params_refuse_a_book_above_the_limit_without_kecamatan(settings, staff_admin):
    bkms = BKMFactory.create_batch(3)
    settings.REPORTS_PROFIL_BOOK_MAX_BKMS = 2
    whole = profil_bkm.Params.from_params({}, user=staff_admin)
    assert not whole.is_valid()
    assert whole.errors["kecamatan"] == ["Buku profil 3 BKM terlalu besar untuk satu berkas; pilih satu kecamatan."]
    # One kecamatan, or one BKM, is fine; so is the whole book within the limit.
    kecamatan = bkms[0].kelurahan.kecamatan
    assert profil_bkm.Params.from_params({"kecamatan": kecamatan.pk}, user=staff_admin).is_valid()
    assert profil_bkm.Params.from_params({"bkm": bkms[0].pk}, user=staff_admin).is_valid()
    settings.REPORTS_PROFIL_BOOK_MAX_BKMS = 3
    assert profil_bkm.Params.from_params({}, user=staff_admin).is_valid()
