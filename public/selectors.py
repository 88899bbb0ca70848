"""Reads of the public face: only the fields `public.fields` lists, as plain dicts.

Every function runs a fixed number of queries whatever the size of the city (tests in
tests/public/test_views.py bound them); the pages are cached on top (`public.cache`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Sum
from django.utils import timezone

from bkm import geo
from bkm.models import (
    BKM,
    SLUM_ASPECTS,
    BKMStatus,
    BoardMember,
    BoardPosition,
    Document,
    DocumentType,
    DocumentVersion,
    FundingSource,
    GeometrySource,
    Kecamatan,
    Kelurahan,
    Proposal,
    ProposalStatus,
    RPLPItem,
    RPLPStatus,
    SlumArea,
    SlumMeasure,
    SlumTypology,
    Unit,
    UnitType,
    rplp_status_from,
)

from . import fields

# Proposals whose approved budget counts as "approved collaboration budget": approved and every later step.
APPROVED_STATUSES = (ProposalStatus.DISETUJUI, ProposalStatus.DILAKSANAKAN, ProposalStatus.SELESAI)
ASPECT_FIELDS = tuple(f for f, _label in SLUM_ASPECTS)
# Month ends in the UPK band tables.
UPK_PAGE_MONTHS = 12
BKM_PAGE_MONTHS = 6


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def public_proposals() -> Any:
    """Proposals the public may see (everything but a BKM's own draft or a returned proposal)."""
    return Proposal.objects.exclude(status__in=fields.PROPOSAL_HIDDEN_STATUSES)


def measure_average(values: dict[str, Any]) -> Decimal:
    """The slum registry's own mean of the seven aspects (`SlumMeasure.average`)."""
    return SlumMeasure(**{f: values[f] for f in ASPECT_FIELDS}).average


def _half_up(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- The city overview ------------------------------------------------------------------------------


@dataclass
class KecamatanBKMs:
    name: str
    bkms: list[dict[str, Any]]
    active: int


@dataclass
class BudgetTable:
    years: list[int]
    rows: list[tuple[str, list[Decimal], Decimal]]
    totals: list[Decimal]
    total: Decimal


@dataclass
class SlumProgress:
    years: list[int]
    # (aspect label, [mean % deficient per year])
    aspects: list[tuple[str, list[Decimal | None]]]
    means: list[Decimal | None]
    areas_measured: list[int]


@dataclass
class Overview:
    kecamatan: list[KecamatanBKMs]
    bkm_count: int
    budget: BudgetTable
    slum: SlumProgress
    slum_area_count: int
    slum_area_ha: Decimal


def bkms_by_kecamatan() -> list[KecamatanBKMs]:
    """Every BKM (public fields) under its kecamatan; 2 queries."""
    rows = BKM.objects.values(*fields.BKM, "kelurahan__name", "kelurahan__kecamatan_id").order_by("name", "id")
    by_kec: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        row["status_label"] = _label(BKMStatus, row["status"])
        by_kec[row["kelurahan__kecamatan_id"]].append(row)
    return [
        KecamatanBKMs(k["name"], by_kec[k["id"]], sum(1 for b in by_kec[k["id"]] if b["status"] == BKMStatus.AKTIF))
        for k in Kecamatan.objects.order_by("name").values("id", "name")
    ]


def approved_budget_by_opd_year() -> BudgetTable:
    """Approved collaboration budget (whole Rupiah) per OPD and year; 1 query."""
    rows = (
        public_proposals()
        .filter(status__in=APPROVED_STATUSES, budget_approved__isnull=False)
        .values("opd__name", "opd__acronym", "year")
        .annotate(total=Sum("budget_approved"))
        .order_by("opd__name", "year")
    )
    years = sorted({r["year"] for r in rows})
    by_opd: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for r in rows:
        label = r["opd__acronym"] or r["opd__name"]
        by_opd[label][r["year"]] = Decimal(r["total"])
    table = []
    for label in sorted(by_opd):
        cells = [by_opd[label].get(y, Decimal(0)) for y in years]
        table.append((label, cells, sum(cells, Decimal(0))))
    totals = [sum((row[1][i] for row in table), Decimal(0)) for i in range(len(years))]
    return BudgetTable(years, table, totals, sum(totals, Decimal(0)))


def slum_progress() -> SlumProgress:
    """Per year, each aspect's mean % still deficient over the areas measured that year; 1 query."""
    rows = list(
        SlumMeasure.objects.values("year")
        .annotate(n=Count("pk"), **{f: Avg(f) for f in ASPECT_FIELDS})
        .order_by("year")
    )
    years = [r["year"] for r in rows]
    aspects = [(str(label), [_half_up(r[f]) for r in rows]) for f, label in SLUM_ASPECTS]
    means = [measure_average({f: _half_up(r[f]) for f in ASPECT_FIELDS}) for r in rows]
    return SlumProgress(years, aspects, list(means), [r["n"] for r in rows])


def city_overview() -> Overview:
    """The public overview: 6 queries."""
    kecamatan = bkms_by_kecamatan()
    areas = SlumArea.objects.aggregate(n=Count("pk"), ha=Sum("area_ha"))
    return Overview(
        kecamatan=kecamatan,
        bkm_count=sum(len(k.bkms) for k in kecamatan),
        budget=approved_budget_by_opd_year(),
        slum=slum_progress(),
        slum_area_count=areas["n"],
        slum_area_ha=areas["ha"] or Decimal(0),
    )


# --- UPK health bands --------------------------------------------------------------------------------


@dataclass
class BandRow:
    upk_id: int
    bkm_id: int
    bkm_name: str
    kelurahan: str
    kecamatan: str
    bands: list[tuple[str | None, str]]  # (band code, label) per month end


@dataclass
class BandTable:
    months: list[Any]
    rows: list[BandRow] = field(default_factory=list)


def last_month_ends(count: int) -> list[Any]:
    """The last `count` completed month ends, oldest first."""
    from reports.selectors import month_ends

    today = timezone.localdate()
    index = today.year * 12 + today.month - 2  # the month before this one
    year, month = divmod(index, 12)
    return month_ends(year, month + 1, count)


def upk_bands(*, months: int = UPK_PAGE_MONTHS, bkm_id: int | None = None) -> BandTable:
    """Each UPK's PAR band at each of the last `months` month ends — an aggregate, nothing per borrower.

    1 query for the UPKs and the ledger's `indicators_many` per month end (3 queries each).
    """
    from reports.selectors import upk_units
    from upk.selectors import BAND_LABELS, indicators_many

    units = upk_units()
    if bkm_id is not None:
        units = [u for u in units if u.bkm_id == bkm_id]
    ends = last_month_ends(months)
    table = BandTable(ends)
    if not units:
        return table
    ids = [u.pk for u in units]
    per_month = [indicators_many(upk_ids=ids, as_of=end) for end in ends]
    for u in units:
        bands = []
        for figures in per_month:
            code = figures[u.pk]["par"].band
            bands.append((code, str(BAND_LABELS[code]) if code else "–"))
        table.rows.append(
            BandRow(u.pk, u.bkm_id, u.bkm.name, u.bkm.kelurahan.name, u.bkm.kelurahan.kecamatan.name, bands)
        )
    return table


# --- RPLP items ---------------------------------------------------------------------------------------


def rplp_items(*, bkm_id: int | None = None, ids: list[int] | None = None) -> list[dict[str, Any]]:
    """RPLP items (public fields) with their status — the registry's one rule, `rplp_status_from`, over
    the statuses of the proposals that carry them out — and, when the item names a slum area, that
    aspect's measure in the years from the item's year on ("the measures that followed"). 3 queries."""
    qs = RPLPItem.objects.all()
    if bkm_id is not None:
        qs = qs.filter(bkm_id=bkm_id)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    items = list(qs.values(*fields.RPLP_ITEM, "bkm__name").order_by("year", "aspect", "title", "id"))
    statuses: dict[int, list[str]] = defaultdict(list)
    for item_id, status in Proposal.objects.filter(rplp_item_id__in=[i["id"] for i in items]).values_list(
        "rplp_item_id", "status"
    ):
        statuses[item_id].append(status)
    measures: dict[int, list[dict[str, Any]]] = defaultdict(list)
    area_ids = {i["slum_area_id"] for i in items if i["slum_area_id"]}
    for m in SlumMeasure.objects.filter(slum_area_id__in=area_ids).values(*fields.SLUM_MEASURE).order_by("year"):
        measures[m["slum_area_id"]].append(m)
    aspect_labels = dict(SLUM_ASPECTS)
    for item in items:
        status = rplp_status_from(statuses[item["id"]])
        item["status"] = str(status.value)
        item["status_label"] = _label(RPLPStatus, status)
        item["aspect_label"] = str(aspect_labels.get(item["aspect"], item["aspect"]))
        item["funding_label"] = _label(FundingSource, item["funding_source"])
        item["measures_after"] = [
            {"year": m["year"], "value": m[item["aspect"]]}
            for m in measures.get(item["slum_area_id"], [])
            if m["year"] >= item["year"]
        ]
    return items


# --- One BKM ---------------------------------------------------------------------------------------


@dataclass
class PublicBKM:
    bkm: dict[str, Any]
    board: list[dict[str, Any]]
    units: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    slum_areas: list[dict[str, Any]]
    proposals: list[dict[str, Any]]
    rplp_items: list[dict[str, Any]]
    bands: BandTable


def _slum_areas(qs: Any) -> list[dict[str, Any]]:
    areas = list(qs.values(*fields.SLUM_AREA, "kelurahan__name").order_by("name", "id"))
    measures: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in SlumMeasure.objects.filter(slum_area_id__in=[a["id"] for a in areas]).values(*fields.SLUM_MEASURE):
        m["average"] = measure_average(m)
        m["aspects"] = [m[f] for f in ASPECT_FIELDS]
        measures[m["slum_area_id"]].append(m)
    for a in areas:
        a["typology_label"] = _label(SlumTypology, a["typology"])
        a["measures"] = sorted(measures[a["id"]], key=lambda m: m["year"])
        a["latest"] = a["measures"][-1] if a["measures"] else None
    return areas


def slum_area_features(*, ids: list[int]) -> list[dict[str, Any]]:
    """Slum areas as GeoJSON Features (public fields, yearly measures, the delineation); 3 queries."""
    areas = _slum_areas(SlumArea.objects.filter(pk__in=ids))
    extra = {
        a["id"]: a
        for a in SlumArea.objects.filter(pk__in=ids).values("id", *fields.SLUM_AREA_GEOMETRY, "kelurahan__kecamatan_id")
    }
    order = {pk: n for n, pk in enumerate(ids)}
    features = []
    for a in sorted(areas, key=lambda a: order[a["id"]]):
        more = extra[a["id"]]
        properties = {f: a[f] for f in fields.SLUM_AREA if f != "id"}
        properties.update(
            kelurahan=a["kelurahan_id"],
            kelurahan_name=a["kelurahan__name"],
            kecamatan=more["kelurahan__kecamatan_id"],
            geometry_source=more["geometry_source"],
            measures=[
                {"year": m["year"], **{f: m[f] for f in ASPECT_FIELDS}, "average": m["average"]} for m in a["measures"]
            ],
            latest_average=a["latest"]["average"] if a["latest"] else None,
        )
        del properties["kelurahan_id"]
        features.append({"type": "Feature", "id": a["id"], "geometry": more["geometry"], "properties": properties})
    return features


def bkm_public(*, pk: int) -> PublicBKM:
    """One BKM's public page; `BKM.DoesNotExist` if there is none. About 10 queries + the UPK bands."""
    bkm = BKM.objects.values(*fields.BKM, "kelurahan__name", "kelurahan__kecamatan__name").get(pk=pk)
    bkm["status_label"] = _label(BKMStatus, bkm["status"])
    board = list(
        BoardMember.objects.filter(bkm_id=pk, is_active=True).values(*fields.BOARD_MEMBER).order_by("-position", "name")
    )
    for b in board:
        b["position_label"] = _label(BoardPosition, b["position"])
    units = list(Unit.objects.filter(bkm_id=pk).values(*fields.UNIT).order_by("unit_type"))
    for u in units:
        u["type_label"] = _label(UnitType, u["unit_type"])
    documents = list(
        Document.objects.filter(bkm_id=pk, published=True).values(*fields.DOCUMENT).order_by("doc_type", "title")
    )
    latest: dict[int, dict[str, Any]] = {}
    for v in (
        DocumentVersion.objects.filter(document_id__in=[d["id"] for d in documents])
        .values(*fields.DOCUMENT_VERSION)
        .order_by("document_id", "-version")
    ):
        latest.setdefault(v["document_id"], v)
    for d in documents:
        d["type_label"] = _label(DocumentType, d["doc_type"])
        d["latest"] = latest.get(d["id"])
    proposals = list(public_proposals().filter(bkm_id=pk).values(*fields.PROPOSAL).order_by("-year", "title"))
    for p in proposals:
        p["status_label"] = _label(ProposalStatus, p["status"])
        p["funding_label"] = _label(FundingSource, p["funding_source"])
    return PublicBKM(
        bkm=bkm,
        board=board,
        units=units,
        documents=[d for d in documents if d["latest"]],
        slum_areas=_slum_areas(SlumArea.objects.filter(kelurahan_id=bkm["kelurahan_id"])),
        proposals=proposals,
        rplp_items=rplp_items(bkm_id=pk),
        bands=upk_bands(months=BKM_PAGE_MONTHS, bkm_id=pk),
    )


def published_document_version(*, document_id: int) -> DocumentVersion:
    """The latest version of a published document (`DocumentVersion.DoesNotExist` otherwise)."""
    version = (
        DocumentVersion.objects.filter(document_id=document_id, document__published=True).order_by("-version").first()
    )
    if version is None:
        raise DocumentVersion.DoesNotExist
    return version


# --- The map ------------------------------------------------------------------------------------------


def _feature(geometry: dict[str, Any] | None, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _point(position: tuple[float, float] | None) -> dict[str, Any] | None:
    return {"type": "Point", "coordinates": list(position)} if position else None


def map_data() -> dict[str, Any]:
    """GeoJSON of the public map: kelurahan coloured by their UPK's PAR band at the last month end,
    slum areas by their latest mean % deficient, public proposals as points (at their slum area's
    centroid, else their kelurahan's). About 10 queries."""
    from upk.selectors import BAND_LABELS

    kelurahan = list(Kelurahan.objects.values(*fields.KELURAHAN, "kecamatan__name").order_by("name"))
    active = {
        b["kelurahan_id"]: b
        for b in BKM.objects.filter(status=BKMStatus.AKTIF).values("id", "name", "kelurahan_id").order_by("id")
    }
    last = upk_bands(months=1)
    band_of = {row.bkm_id: row.bands[-1] for row in last.rows}
    areas = list(SlumArea.objects.values(*fields.SLUM_AREA, *fields.SLUM_AREA_GEOMETRY).order_by("id"))
    latest: dict[int, dict[str, Any]] = {}
    for m in SlumMeasure.objects.values(*fields.SLUM_MEASURE).order_by("slum_area_id", "-year"):
        latest.setdefault(m["slum_area_id"], m)
    centre = {k["id"]: geo.centroid(k["boundary"]) for k in kelurahan}
    area_centre = {a["id"]: geo.centroid(a["geometry"]) for a in areas}
    kel_features = []
    for k in kelurahan:
        b = active.get(k["id"])
        band = band_of.get(b["id"]) if b else None
        kel_features.append(
            _feature(
                k["boundary"],
                {
                    "id": k["id"],
                    "name": k["name"],
                    "kecamatan": k["kecamatan__name"],
                    "bkm": b["id"] if b else None,
                    "bkm_name": b["name"] if b else "",
                    "band": band[0] if band else None,
                    "band_label": band[1] if band else "–",
                },
            )
        )
    area_features = []
    for a in areas:
        m = latest.get(a["id"])
        area_features.append(
            _feature(
                a["geometry"],
                {
                    "id": a["id"],
                    "name": a["name"],
                    "area_ha": str(a["area_ha"]),
                    "year": m["year"] if m else None,
                    "average": str(measure_average(m)) if m else None,
                },
            )
        )
    point_features = []
    for p in public_proposals().values(*fields.PROPOSAL):
        position = area_centre.get(p["slum_area_id"]) or centre.get(p["kelurahan_id"])
        if position is None:
            continue
        point_features.append(
            _feature(
                _point(position),
                {
                    "id": p["id"],
                    "title": p["title"],
                    "status": p["status"],
                    "status_label": _label(ProposalStatus, p["status"]),
                    "year": p["year"],
                    "bkm": p["bkm_id"],
                },
            )
        )
    demo = any(k["boundary_source"] == GeometrySource.DEMO for k in kelurahan) or any(
        a["geometry_source"] == GeometrySource.DEMO for a in areas
    )
    return {
        "kelurahan": {"type": "FeatureCollection", "features": [f for f in kel_features if f["geometry"]]},
        "slum_areas": {"type": "FeatureCollection", "features": [f for f in area_features if f["geometry"]]},
        "proposals": {"type": "FeatureCollection", "features": point_features},
        "demo": demo,
        "band_labels": {str(code): str(label) for code, label in BAND_LABELS.items()},
        "month": last.months[-1].isoformat() if last.months else None,
    }
