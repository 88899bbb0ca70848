"""What the public face shows, field by field — the one place that decides it.

The public pages (`public.views`), the public map's data and the open-data API's public endpoints
read only the fields named here: the selectors fetch rows with `.values(*FIELDS)`, so a template or
serializer never holds a model instance it could read anything else from. Anything not listed is
not public. `tests/public/test_fields.py` fails when a list names a personal field (`NEVER_PUBLIC`)
and `tests/public/test_leak.py` crawls every public page for the demo data's personal values.

Why these and no more:

- BKM: name, kelurahan, status, date formed — the institution, as the open-data API already gave.
  Never its sekretariat address, phone, e-mail, bank accounts or legal/notary details.
- Board: each active member's name, role (koordinator/anggota) and term — the accountability of
  an elected board. Never NIK, phone, gender or the election minutes.
- Units: type, name, since when, active — never the people in them (their phones are on record).
- Documents: only those staff publish (`Document.published`), by type and title; the latest
  version is downloadable. Never the free-text description or who uploaded it.
- Kelurahan boundaries, slum areas and their yearly measures: the city's own decree data (SK, area,
  typology, the seven aspects' percentages) and the geometry (marked when generated for the demo).
  Never the staff notes.
- RPLP items: aspect, year, activity, volume, budget, funding source and the status derived from
  the proposals that carry them out (`bkm.models.rplp_status_from`). Never the notes.
- Proposals: title, programme, OPD, location, year, budgets, funding source and status — the
  collaboration pipeline is the transparency the issue asks for. Never the description, the steps'
  notes or who moved them; a BKM's own draft or a proposal returned to it is not public
  (`PROPOSAL_HIDDEN_STATUSES`).
- UPK: per UPK and month end, the PAR band only (the ledger's risk headline, its thresholds the
  UPK's own rules) — an aggregate: never a KSM, a borrower, a loan or an amount.
"""

from __future__ import annotations

from bkm.models import SLUM_ASPECTS

BKM = ("id", "name", "status", "kelurahan_id", "date_formed")
BOARD_MEMBER = ("bkm_id", "name", "position", "term_start", "term_end")
UNIT = ("bkm_id", "unit_type", "name", "formed_on", "is_active")
DOCUMENT = ("id", "bkm_id", "doc_type", "title")
DOCUMENT_VERSION = ("document_id", "version", "uploaded_at", "extension", "size")
SLUM_AREA = ("id", "kelurahan_id", "name", "sk_number", "sk_year", "area_ha", "typology")
# The delineation (GeoJSON) and whether it is a staff upload or generated for the demo.
SLUM_AREA_GEOMETRY = ("geometry", "geometry_source")
KELURAHAN = ("id", "name", "kecamatan_id", "boundary", "boundary_source")
SLUM_MEASURE = ("slum_area_id", "year", *(field for field, _label in SLUM_ASPECTS))
PROPOSAL = (
    "id",
    "bkm_id",
    "title",
    "programme",
    "opd__name",
    "opd__acronym",
    "kelurahan_id",
    "slum_area_id",
    "year",
    "budget_proposed",
    "budget_approved",
    "funding_source",
    "status",
)
RPLP_ITEM = ("id", "bkm_id", "aspect", "year", "title", "slum_area_id", "volume", "budget", "funding_source")

# A BKM's own steps before the city pipeline are not published (self-service statuses, issue 15).
PROPOSAL_HIDDEN_STATUSES = ("draf", "dikembalikan")

# Fields that must never be listed above (the test checks every list against them).
NEVER_PUBLIC = frozenset(
    {
        "nik",
        "phone",
        "email",
        "address",
        "account_number",
        "account_holder",
        "minutes",
        "notes",
        "description",
        "note",
        "contact_person",
        "gender",
        "uploaded_by",
        "original_name",
        "file",
    }
)

ALL = {
    "bkm": BKM,
    "board_member": BOARD_MEMBER,
    "unit": UNIT,
    "document": DOCUMENT,
    "document_version": DOCUMENT_VERSION,
    "slum_area": SLUM_AREA + SLUM_AREA_GEOMETRY,
    "kelurahan": KELURAHAN,
    "slum_measure": SLUM_MEASURE,
    "proposal": PROPOSAL,
    "rplp_item": RPLP_ITEM,
}
