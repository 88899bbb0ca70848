"""Every report type the portal offers (see `reports.registry`).

After the merge the UPK ledger and forum reports are added here:
`kinerja_upk_kota` (scope staff, scheduled monthly: CITY_MONTHLY_REPORT),
`bulanan_upk` (scope upk) and `rekap_forum` (scope staff).
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext_lazy as _

from .registry import CITY_MONTHLY_REPORT, ReportType, previous_month, register


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
register(
    ReportType(
        name=CITY_MONTHLY_REPORT,
        label=_("Laporan Kinerja UPK se-Kota"),
        builder="reports.builders.kinerja_upk_kota",
        scope="staff",
        description=_(
            "Indikator setiap UPK dengan predikatnya, jumlah per kecamatan, kolektibilitas dan cadangan, "
            "tren 12 bulan, dan UPK yang perlu perhatian."
        ),
        scheduled_params=lambda d: {"period": previous_month(d)},
    )
)
register(
    ReportType(
        name="bulanan_upk",
        label=_("Laporan Bulanan UPK"),
        builder="reports.builders.bulanan_upk",
        scope="upk",
        description=_(
            "Paket bulanan satu UPK: LPP, kolektibilitas, neraca, laba-rugi, indikator dan pemeriksaan rekonsiliasi."
        ),
    )
)
