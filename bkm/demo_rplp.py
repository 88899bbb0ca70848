"""Demo RPLP plans for the demo BKMs (a `seed_demo` step after the proposals).

Each BKM's plan gets an item for every demo proposal that works on a slum
aspect (the proposal is linked to it, so the item's derived status shows every
stage), and a few items for the coming years that no proposal carries out yet
(still "direncanakan"). Writes go through `bkm.services`; safe to run again.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.utils import timezone

from . import services
from .models import BKM, SLUM_ASPECTS, BKMStatus, FundingSource, RPLPItem, SlumArea

# Which slum aspect a demo proposal's title works on (bkm.demo_extra.PROPOSAL_IDEAS).
TITLE_ASPECTS = (
    ("drainase", "drainage"),
    ("jalan", "roads"),
    ("rumah", "building"),
    ("air minum", "drinking_water"),
    ("ipal", "wastewater"),
    ("tps", "solid_waste"),
    ("kebakaran", "fire_protection"),
)

PLANNED_IDEAS = {
    "building": ("Perbaikan rumah tidak layak huni", "15 unit"),
    "roads": ("Peningkatan jalan lingkungan (titian ulin)", "400 m"),
    "drainage": ("Normalisasi saluran drainase", "600 m"),
    "drinking_water": ("Perluasan sambungan air minum", "60 SR"),
    "wastewater": ("Tangki septik individual", "25 unit"),
    "solid_waste": ("Bank sampah dan gerobak sampah", "1 paket"),
    "fire_protection": ("Hidran lingkungan dan APAR", "6 titik"),
}


def _aspect_of(title: str) -> str | None:
    lowered = title.lower()
    return next((aspect for word, aspect in TITLE_ASPECTS if word in lowered), None)


def seed(*, rng: random.Random, scale: str) -> None:
    year = timezone.localdate().year
    bkms = BKM.objects.filter(status=BKMStatus.AKTIF).select_related("kelurahan").order_by("kelurahan__code")
    areas: dict[int, list[SlumArea]] = {}
    for area in SlumArea.objects.order_by("pk"):
        areas.setdefault(area.kelurahan_id, []).append(area)
    for bkm in bkms:
        bkm_rng = random.Random(f"{rng.random()}-{bkm.kelurahan.code}")
        if RPLPItem.objects.filter(bkm=bkm).exists():
            continue  # already seeded
        kel_areas = areas.get(bkm.kelurahan_id, [])
        for proposal in bkm.proposals.filter(rplp_item__isnull=True).order_by("year", "pk"):
            aspect = _aspect_of(proposal.title)
            if aspect is None:
                continue
            item = services.rplp_item_save(
                bkm=bkm,
                data={
                    "aspect": aspect,
                    "year": proposal.year,
                    "title": proposal.title,
                    "slum_area": proposal.slum_area,
                    "budget": proposal.budget_proposed,
                    "funding_source": proposal.funding_source,
                    "notes": "Contoh data: kegiatan RPLP yang dijalankan lewat usulan ke OPD.",
                },
            )
            services.proposal_update(proposal=proposal, data={"rplp_item": item, "aspect": aspect})
        for aspect, _label in bkm_rng.sample(list(SLUM_ASPECTS), k=3):
            title, volume = PLANNED_IDEAS[aspect]
            services.rplp_item_save(
                bkm=bkm,
                data={
                    "aspect": aspect,
                    "year": year + bkm_rng.choice([0, 1, 1, 2]),
                    "title": title,
                    "slum_area": bkm_rng.choice(kel_areas) if kel_areas else None,
                    "volume": volume,
                    "budget": Decimal(bkm_rng.randint(10, 400) * 1_000_000),
                    "funding_source": bkm_rng.choice([FundingSource.APBD, FundingSource.APBD, FundingSource.SWADAYA]),
                    "notes": "Contoh data: rencana yang belum diusulkan.",
                },
            )
