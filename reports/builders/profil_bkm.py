"""#2 Profil BKM/LKM: one BKM, or a book of all BKMs grouped by kecamatan.

The profile is a list of sections (`SECTIONS`). Each section loads its data for
all BKMs of the book at once (a fixed number of queries whatever the number of
BKMs) and renders with its own template. The board's warnings are the
registry's own (`bkm.selectors.annotate_bkm_stats` + `bkm_warnings`), never
recomputed here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.db.models import Count, Max, Prefetch, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bkm.models import (
    BKM,
    REQUIRED_DOCUMENT_TYPES,
    SLUM_ASPECTS,
    BoardMember,
    Document,
    DocumentType,
    Kecamatan,
    Proposal,
    ProposalStatus,
    SlumArea,
    SlumMeasure,
    Unit,
    UnitPerson,
)
from bkm.selectors import annotate_bkm_stats, bkm_warnings, women_share_pct
from core.permissions import is_staff
from reports import conf
from reports.forms import ReportParamsForm, bkm_field, kecamatan_field
from reports.pdf import LongTable, format_number
from reports.selectors import bkm_missing_fields, bkm_profile_list

TEMPLATE = "reports/pdf/profil_bkm.html"


class Params(ReportParamsForm):
    bkm = bkm_field(empty_label=gettext_lazy("Semua BKM (buku profil)"))
    kecamatan = kecamatan_field(help_text=gettext_lazy("Untuk buku profil: batasi ke satu kecamatan."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.user is not None and not is_staff(self.user):
            # A coordinator asks for their own BKM only.
            field = self.fields["bkm"]
            field.queryset = field.queryset.filter(pk=getattr(self.user, "bkm_id", None))  # type: ignore[attr-defined]
            field.required = True
            field.empty_label = None  # type: ignore[attr-defined]
            del self.fields["kecamatan"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("bkm") and not cleaned.get("kecamatan") and "kecamatan" in self.fields:
            limit = conf.get("REPORTS_PROFIL_BOOK_MAX_BKMS")
            count = bkm_profile_list().count()
            if limit is not None and count > limit:
                # One book of every BKM would run past the worker's time limit: one per kecamatan instead.
                self.add_error(
                    "kecamatan",
                    _("Buku profil %(n)s BKM terlalu besar untuk satu berkas; pilih satu kecamatan.")
                    % {"n": format_number(count)},
                )
        return cleaned


@dataclass(frozen=True)
class ProfileSection:
    key: str
    title: Any  # lazy translation
    template: str
    # Data of this section for every BKM of the book, keyed by BKM id.
    load: Callable[[list[BKM]], dict[int, Any]]


def _identity(bkms: list[BKM]) -> dict[int, Any]:
    return {
        b.pk: {
            "kelurahan": b.kelurahan.name,
            "kecamatan": b.kelurahan.kecamatan.name,
            "status": b.get_status_display(),
            "address": b.address,
            "phone": b.phone,
            "email": b.email,
            "date_formed": b.date_formed,
            "missing": bkm_missing_fields(b),
        }
        for b in bkms
    }


def _legal(bkms: list[BKM]) -> dict[int, Any]:
    return {
        b.pk: {
            "akta_number": b.akta_number,
            "akta_date": b.akta_date,
            "notary": b.notary,
            "ahu_number": b.ahu_number,
            "adart_version": b.adart_version,
        }
        for b in bkms
    }


def _board(bkms: list[BKM]) -> dict[int, Any]:
    """Active board and term figures with the registry's warnings: two queries for the whole book."""
    ids = [b.pk for b in bkms]
    annotated: dict[int, Any] = {b.pk: b for b in annotate_bkm_stats(BKM.objects.filter(pk__in=ids))}
    members: dict[int, list[BoardMember]] = defaultdict(list)
    # "-position": koordinator sorts before anggota, as on the BKM page.
    for m in BoardMember.objects.filter(bkm__in=ids, is_active=True).order_by("bkm_id", "-position", "name", "pk"):
        members[m.bkm_id].append(m)
    data: dict[int, Any] = {}
    for b in bkms:
        a = annotated[b.pk]
        data[b.pk] = {
            "members": members.get(b.pk, []),
            "size": a.board_size,
            "women": a.women_count,
            "women_share": women_share_pct(a.women_count, a.board_size),
            "term_end": a.term_end_min,
            "coordinator": a.coordinator_name or "",
            "warnings": bkm_warnings(a),
        }
    return data


def _units(bkms: list[BKM]) -> dict[int, Any]:
    """Units with their active people: two queries for the whole book."""
    by_bkm: dict[int, list[Unit]] = defaultdict(list)
    people = Prefetch("people", queryset=UnitPerson.objects.filter(is_active=True).order_by("position", "name", "pk"))
    units = Unit.objects.filter(bkm__in=[b.pk for b in bkms]).prefetch_related(people).order_by("bkm_id", "unit_type")
    for unit in units:
        by_bkm[unit.bkm_id].append(unit)
    return {b.pk: by_bkm.get(b.pk, []) for b in bkms}


def _documents(bkms: list[BKM]) -> dict[int, Any]:
    """For each document type: the documents on record (latest version) or "missing"; one query."""
    docs: dict[tuple[int, str], list[Any]] = defaultdict(list)
    rows = (
        Document.objects.filter(bkm__in=[b.pk for b in bkms])
        .annotate(n_versions=Count("versions"), last_upload=Max("versions__uploaded_at"))
        .order_by("bkm_id", "doc_type", "title", "pk")
    )
    for d in rows:
        docs[(d.bkm_id, d.doc_type)].append(d)
    data: dict[int, Any] = {}
    for b in bkms:
        types = []
        for doc_type in DocumentType:
            present = docs.get((b.pk, doc_type.value), [])
            required = doc_type in REQUIRED_DOCUMENT_TYPES
            if present or required or doc_type != DocumentType.LAINNYA:
                types.append({"label": doc_type.label, "required": required, "documents": present})
        data[b.pk] = {
            "types": types,
            "missing_required": [str(t.label) for t in REQUIRED_DOCUMENT_TYPES if not docs.get((b.pk, t.value))],
        }
    return data


def _slum_areas(bkms: list[BKM]) -> dict[int, Any]:
    """The kelurahan's slum areas with their yearly measures (oldest first); two queries."""
    by_kel: dict[int, list[Any]] = defaultdict(list)
    areas = (
        SlumArea.objects.filter(kelurahan__in={b.kelurahan_id for b in bkms})
        .prefetch_related(Prefetch("measures", queryset=SlumMeasure.objects.order_by("year")))
        .order_by("kelurahan_id", "name", "pk")
    )
    for area in areas:
        measures = list(area.measures.all())
        first, last = (measures[0], measures[-1]) if measures else (None, None)
        by_kel[area.kelurahan_id].append(
            {
                "area": area,
                "measures": measures,
                # Progress: how much the mean deficiency fell from the first to the latest year.
                "progress": (first.average - last.average) if first is not None and last is not first else None,  # type: ignore[union-attr]
                "first_year": first.year if first else None,
                "last_year": last.year if last else None,
            }
        )
    return {
        b.pk: {"areas": by_kel.get(b.kelurahan_id, []), "aspects": [str(label) for _f, label in SLUM_ASPECTS]}
        for b in bkms
    }


def _collaboration(bkms: list[BKM]) -> dict[int, Any]:
    zero = Decimal(0)
    rows = (
        Proposal.objects.filter(bkm__in=[b.pk for b in bkms])
        .order_by()
        .values("bkm_id", "status")
        .annotate(
            n=Count("id"),
            proposed=Coalesce(Sum("budget_proposed"), Value(zero)),
            approved=Coalesce(Sum("budget_approved"), Value(zero)),
        )
    )
    by_opd: dict[int, list[dict[str, Any]]] = defaultdict(list)
    opd_rows = (
        Proposal.objects.filter(bkm__in=[b.pk for b in bkms])
        .order_by()
        .values("bkm_id", "opd__name")
        .annotate(
            n=Count("id"),
            proposed=Coalesce(Sum("budget_proposed"), Value(zero)),
            approved=Coalesce(Sum("budget_approved"), Value(zero)),
        )
        .order_by("bkm_id", "opd__name")
    )
    for row in opd_rows:
        by_opd[row["bkm_id"]].append(row)
    labels = dict(ProposalStatus.choices)
    data: dict[int, dict[str, Any]] = {
        b.pk: {"rows": [], "by_opd": by_opd.get(b.pk, []), "count": 0, "proposed": zero, "approved": zero} for b in bkms
    }
    for row in sorted(rows, key=lambda r: (r["bkm_id"], ProposalStatus.values.index(r["status"]))):
        entry = data[row["bkm_id"]]
        entry["rows"].append({**row, "status_label": labels[row["status"]]})
        entry["count"] += row["n"]
        entry["proposed"] += row["proposed"]
        entry["approved"] += row["approved"]
    return data


SECTIONS: list[ProfileSection] = [
    ProfileSection(
        "identitas", gettext_lazy("Identitas dan sekretariat"), "reports/pdf/profil/_identitas.html", _identity
    ),
    ProfileSection("legalitas", gettext_lazy("Dasar hukum"), "reports/pdf/profil/_legalitas.html", _legal),
    ProfileSection("pengurus", gettext_lazy("Pengurus dan masa bakti"), "reports/pdf/profil/_pengurus.html", _board),
    ProfileSection("unit", gettext_lazy("Unit pengelola (UP-UP)"), "reports/pdf/profil/_unit.html", _units),
    ProfileSection("dokumen", gettext_lazy("Dokumen legal"), "reports/pdf/profil/_dokumen.html", _documents),
    ProfileSection(
        "kumuh", gettext_lazy("Kawasan kumuh dan kemajuannya"), "reports/pdf/profil/_kumuh.html", _slum_areas
    ),
    ProfileSection(
        "kolaborasi",
        gettext_lazy("Kemitraan dan kolaborasi dengan OPD"),
        "reports/pdf/profil/_kolaborasi.html",
        _collaboration,
    ),
]


def build(*, params: dict[str, Any], progress: Callable[[float, str], None]) -> dict[str, Any]:
    bkm_id = params.get("bkm")
    kecamatan_id = params.get("kecamatan")
    kecamatan = Kecamatan.objects.filter(pk=kecamatan_id).first() if kecamatan_id else None
    bkms = list(bkm_profile_list(bkm_id=bkm_id, kecamatan_id=kecamatan_id))
    if bkm_id and not bkms:
        raise LookupError(_("BKM yang diminta tidak ditemukan (mungkin telah dihapus)."))
    progress(5, _("Membaca %(n)d BKM") % {"n": len(bkms)})
    loaded = []
    for i, section in enumerate(SECTIONS):
        loaded.append((section, section.load(bkms)))
        progress(10 + 80 * (i + 1) / len(SECTIONS), str(section.title))
    profiles: list[dict[str, Any]] = [
        {"bkm": b, "sections": [(section, data[b.pk]) for section, data in loaded]} for b in bkms
    ]
    groups = [(name, list(items)) for name, items in groupby(profiles, key=lambda p: p["bkm"].kelurahan.kecamatan.name)]
    single = bkms[0] if bkm_id else None
    by_key = {section.key: data for section, data in loaded}
    units, collab, board = by_key.get("unit", {}), by_key.get("kolaborasi", {}), by_key.get("pengurus", {})
    return {
        "title": _("Profil BKM/LKM") if single is None else _("Profil %(name)s") % {"name": single.name},
        "subtitle": _("Buku profil BKM/LKM per kecamatan") if single is None else single.kelurahan.name,
        "parameter_rows": [
            (_("BKM/LKM"), single.name if single else _("Semua BKM")),
            (_("Kecamatan"), kecamatan.name if kecamatan else _("Semua kecamatan")),
            (_("Jumlah BKM"), str(len(bkms))),
        ],
        "groups": groups,
        # Each profile starts a page: the book is laid out a few hundred profiles at a time (reports.pdf).
        "long_table": LongTable(
            template="reports/pdf/_profil_rows.html",
            rows=[
                {**p, "kecamatan": kecamatan, "first_in_kecamatan": i == 0}
                for kecamatan, items in groups
                for i, p in enumerate(items)
            ],
            rows_per_part=conf.get("REPORTS_PDF_PROFILES_PER_PART"),
            table=False,
        ),
        "single": single,
        "overview": [
            {
                "bkm": p["bkm"],
                "units": sum(1 for u in units.get(p["bkm"].pk, []) if u.is_active),
                "proposals": collab.get(p["bkm"].pk, {}).get("count", 0),
                "board_size": board.get(p["bkm"].pk, {}).get("size"),
                "warnings": len(board.get(p["bkm"].pk, {}).get("warnings", [])),
            }
            for p in profiles
        ],
    }
