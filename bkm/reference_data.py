"""Kota Palangka Raya: 5 kecamatan and 30 kelurahan (reference §5.1).

Kecamatan codes follow one public app (62.71.01 Pahandut … .05 Rakumpit) and
are NOT CONFIRMED against the Kepmendagri; they are editable in the admin.
"""

KOTA = ("62.71", "Kota Palangka Raya")

KECAMATAN: list[tuple[str, str, str, str, list[str]]] = [
    (
        "62.71.01",
        "Pahandut",
        "Pahandut",
        "119.73",
        ["Pahandut", "Panarung", "Langkai", "Tumbang Rungan", "Tanjung Pinang", "Pahandut Seberang"],
    ),
    (
        "62.71.02",
        "Bukit Batu",
        "Tangkiling",
        "603.14",
        ["Marang", "Tumbang Tahai", "Banturung", "Tangkiling", "Sei Gohong", "Kanarakan", "Habaring Hurung"],
    ),
    ("62.71.03", "Jekan Raya", "Palangka", "387.53", ["Menteng", "Palangka", "Bukit Tunggal", "Petuk Katimpun"]),
    (
        "62.71.04",
        "Sabangau",
        "Kalampangan",
        "640.73",
        ["Kereng Bangkirai", "Sabaru", "Kalampangan", "Kameloh Baru", "Danau Tundai", "Bereng Bengkel"],
    ),
    (
        "62.71.05",
        "Rakumpit",
        "Mungku Baru",
        "1101.99",
        ["Petuk Bukit", "Pager", "Panjehang", "Gaung Baru", "Petuk Barunai", "Mungku Baru", "Bukit Sua"],
    ),
]


def load(kecamatan_model, kelurahan_model) -> None:  # type: ignore[no-untyped-def]
    """Idempotently load the reference rows (used by the migration and by tests,
    whose transactional cases flush tables between tests)."""
    if kelurahan_model.objects.count() >= sum(len(k[4]) for k in KECAMATAN):
        return
    for code, name, capital, area, kelurahan_names in KECAMATAN:
        kec, _ = kecamatan_model.objects.get_or_create(
            name=name, defaults={"code": code, "capital": capital, "area_km2": area}
        )
        for index, kel_name in enumerate(kelurahan_names, start=1):
            # Kelurahan codes are provisional (kecamatan code + sequence); editable.
            kelurahan_model.objects.get_or_create(
                kecamatan=kec, name=kel_name, defaults={"code": f"{code}.{1000 + index}"}
            )


# Default aspects of the annual BKM assessment (reference §4.5), loaded by
# migration 0006: (code, name, description, default weight %).
ASSESSMENT_ASPECTS: list[tuple[str, str, str, str]] = [
    ("organisasi", "Organisasi", "Visi-misi, struktur, badan hukum, legitimasi pemilihan", "15"),
    (
        "kepemimpinan",
        "Kepemimpinan",
        "Pengambilan keputusan, perempuan dalam keputusan, mekanisme usulan warga, partisipasi anggota, pertemuan",
        "20",
    ),
    ("sistem-manajemen", "Sistem Manajemen", "Perencanaan, monev, dokumentasi, PIM, penerima manfaat", "20"),
    (
        "sumberdaya-keuangan",
        "Sumberdaya Keuangan",
        "Sumber dana, rencana keuangan, laporan keuangan, pertanggungjawaban",
        "15",
    ),
    ("sdm", "Sumber Daya Manusia", "Pengembangan kapasitas, kaderisasi relawan", "15"),
    (
        "ksm-kemitraan",
        "KSM dan Kemitraan",
        "Pembinaan KSM dan hubungan dengan pihak luar (bagian sumber terpotong; bobot sisa)",
        "15",
    ),
]


def ensure_reference_data() -> None:
    """Load the reference rows again if they are missing.

    Migrations load them once; a test database flushed by a transactional test
    (and then reused) has lost them, so the test suite calls this.
    """
    from decimal import Decimal

    from .models import AssessmentAspect, Kecamatan, Kelurahan

    load(Kecamatan, Kelurahan)
    if not AssessmentAspect.objects.exists():
        for order, (code, name, description, weight) in enumerate(ASSESSMENT_ASPECTS, start=1):
            AssessmentAspect.objects.create(
                code=code, name=name, description=description, default_weight=Decimal(weight), order=order
            )
