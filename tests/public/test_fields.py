"""What is public is decided in public/fields.py: no personal field there, and the selectors give nothing else."""

from __future__ import annotations

import pytest

from bkm.models import BKM, BoardMember, Document, DocumentVersion, Proposal, RPLPItem, SlumArea, SlumMeasure, Unit
from public import fields, selectors

MODELS = {
    "bkm": BKM,
    "board_member": BoardMember,
    "unit": Unit,
    "document": Document,
    "document_version": DocumentVersion,
    "slum_area": SlumArea,
    "slum_measure": SlumMeasure,
    "proposal": Proposal,
    "rplp_item": RPLPItem,
}


def test_public_field_lists_name_no_personal_field():
    for name, names in fields.ALL.items():
        bare = {f.split("__")[-1].removesuffix("_id") for f in names}
        assert not bare & fields.NEVER_PUBLIC, (name, bare & fields.NEVER_PUBLIC)


def test_public_field_lists_name_real_fields():
    for name, model in MODELS.items():
        model.objects.values(*fields.ALL[name]).query  # noqa: B018 - raises FieldError on a wrong name


# Keys the selectors add beside the whitelisted fields: labels and derived figures, never a model field.
DERIVED = {
    "status_label",
    "position_label",
    "type_label",
    "funding_label",
    "typology_label",
    "aspect_label",
    "latest",
    "measures",
    "aspects",
    "average",
    "measures_after",
    "kelurahan__name",
    "kelurahan__kecamatan__name",
    "kelurahan__kecamatan_id",
    "bkm__name",
    "status",  # an RPLP item's status is derived from its proposals (rplp_status_from)
}


@pytest.mark.django_db
def test_bkm_public_rows_carry_only_whitelisted_keys(demo_city):
    bkm = BKM.objects.filter(board_members__isnull=False, proposals__isnull=False).first()
    data = selectors.bkm_public(pk=bkm.pk)
    checks = [
        ([data.bkm], fields.BKM),
        (data.board, fields.BOARD_MEMBER),
        (data.units, fields.UNIT),
        (data.documents, fields.DOCUMENT),
        (data.slum_areas, fields.SLUM_AREA),
        (data.proposals, fields.PROPOSAL),
        (data.rplp_items, fields.RPLP_ITEM),
    ]
    assert data.board and data.units and data.proposals
    for rows, allowed in checks:
        for row in rows:
            assert set(row) - set(allowed) <= DERIVED, set(row) - set(allowed) - DERIVED
    assert all(p["status"] not in fields.PROPOSAL_HIDDEN_STATUSES for p in data.proposals)
