"""#2 Profil BKM/LKM: one BKM, or a book of all BKMs grouped by kecamatan.

The profile is a list of sections (`SECTIONS`). Each section loads its data for
all BKMs of the book at once (no query per BKM) and renders with its own
template. Registry sections that need models added later (board and terms,
documents, slum areas) are appended to `SECTIONS` with a loader calling the
registry's selectors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.db.models import Count, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bkm.models import BKM, Kecamatan, Proposal, ProposalStatus, Unit
from core.permissions import is_staff
from reports.forms import ReportParamsForm, bkm_field, kecamatan_field
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


def _units(bkms: list[BKM]) -> dict[int, Any]:
    by_bkm: dict[int, list[Unit]] = defaultdict(list)
    for unit in Unit.objects.filter(bkm__in=[b.pk for b in bkms]).order_by("bkm_id", "unit_type"):
        by_bkm[unit.bkm_id].append(unit)
    return {b.pk: by_bkm.get(b.pk, []) for b in bkms}


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
    labels = dict(ProposalStatus.choices)
    data: dict[int, dict[str, Any]] = {b.pk: {"rows": [], "count": 0, "proposed": zero, "approved": zero} for b in bkms}
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
    ProfileSection("unit", gettext_lazy("Unit pengelola (UP-UP)"), "reports/pdf/profil/_unit.html", _units),
    ProfileSection(
        "kolaborasi", gettext_lazy("Kolaborasi dengan OPD"), "reports/pdf/profil/_kolaborasi.html", _collaboration
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
    units, collab = by_key.get("unit", {}), by_key.get("kolaborasi", {})
    return {
        "title": _("Profil BKM/LKM") if single is None else _("Profil %(name)s") % {"name": single.name},
        "subtitle": _("Buku profil BKM/LKM per kecamatan") if single is None else single.kelurahan.name,
        "parameter_rows": [
            (_("BKM/LKM"), single.name if single else _("Semua BKM")),
            (_("Kecamatan"), kecamatan.name if kecamatan else _("Semua kecamatan")),
            (_("Jumlah BKM"), str(len(bkms))),
        ],
        "groups": groups,
        "single": single,
        "overview": [
            {
                "bkm": p["bkm"],
                "units": sum(1 for u in units.get(p["bkm"].pk, []) if u.is_active),
                "proposals": collab.get(p["bkm"].pk, {}).get("count", 0),
            }
            for p in profiles
        ],
    }
