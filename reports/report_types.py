"""Every report type the portal offers (see `reports.registry`).

After the merge the UPK ledger and forum reports are added here:
`kinerja_upk_kota` (scope staff, scheduled monthly: CITY_MONTHLY_REPORT),
`bulanan_upk` (scope upk) and `rekap_forum` (scope staff).
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext_lazy as _

from .registry import ReportType, register


def _kolaborasi_scheduled(today: date) -> dict[str, int]:
    # The monthly mail carries the recap of the running year.
    return {"year": today.year}


register(
    ReportType(
        name="kolaborasi",
        label=_("Rekap Kolaborasi OPD–BKM"),
        builder="reports.builders.kolaborasi",
        scope="staff",
        description=_("Usulan kegiatan BKM per status, OPD, kecamatan dan tahun; anggaran diusulkan dan disetujui."),
        scheduled_params=_kolaborasi_scheduled,
    )
)
register(
    ReportType(
        name="profil_bkm",
        label=_("Profil BKM/LKM"),
        builder="reports.builders.profil_bkm",
        scope="bkm",
        description=_("Profil satu BKM, atau buku profil semua BKM per kecamatan."),
    )
)
register(
    ReportType(
        name="rekap_forum",
        label=_("Rekap Forum"),
        builder="reports.builders.rekap_forum",
        scope="staff",
        description=_("Keaktifan forum per BKM dan kategori, pertemuan, keputusan dan tindak lanjutnya."),
    )
)
