"""Demo registry content for the 30 demo BKMs: boards, elections, unit people,
documents (small generated PDFs), bank accounts, handovers, slum areas with
yearly measures, OPDs, collaboration proposals, assessments and audits.

Deterministic for a given rng and day: dates are placed relative to today so
that the term warnings always have examples (expired, ending soon, fine).
Everything goes through bkm.services, so demo data obeys the same rules as the
screens. Safe to run again: reference rows (OPD, slum areas) are reused.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from . import services
from .models import (
    BKM,
    OPD,
    AssessmentAspect,
    AuditOpinion,
    BKMStatus,
    BoardMember,
    BoardPosition,
    DocumentType,
    FollowUpStatus,
    FundingSource,
    Gender,
    Kelurahan,
    ProposalStatus,
    SlumArea,
    SlumTypology,
    Unit,
    UnitPosition,
    UnitType,
)

MEN = [
    "Ahmad", "Budi", "Darmawan", "Eko", "Fransiskus", "Gusti", "Hendra", "Ibnu", "Joko", "Kurniawan",
    "Lukas", "Muhammad", "Nanang", "Rahmat", "Sahdan", "Tambun", "Usop", "Yohanes", "Sabran", "Junaidi",
]  # fmt: skip
WOMEN = [
    "Aisyah", "Berta", "Dewi", "Elisabeth", "Fitri", "Herlina", "Indah", "Juliana", "Kristina", "Lestari",
    "Maria", "Nurhayati", "Rosalina", "Siti", "Tri", "Wulan", "Yuliana", "Norhasanah", "Rahmawati", "Sri",
]  # fmt: skip
SURNAMES = [
    "Anggen", "Bungai", "Dehen", "Ijun", "Jaya", "Kusuma", "Lambung", "Mahar", "Nahan", "Pranata",
    "Rangka", "Santoso", "Tingang", "Uria", "Wijaya", "Saputra", "Hidayat", "Lewis", "Sahay", "Tarigan",
]  # fmt: skip

OPDS = [
    (
        "Dinas Perumahan Rakyat, Kawasan Permukiman dan Pertanahan Kota Palangka Raya",
        "Disperkimtan",
        "Jl. Tjilik Riwut Km. 5,5, Palangka Raya",
    ),
    ("Dinas Pekerjaan Umum dan Penataan Ruang Kota Palangka Raya", "Dinas PUPR", "Jl. Tjilik Riwut Km. 5,5"),
    ("Dinas Lingkungan Hidup Kota Palangka Raya", "DLH", "Jl. Cilik Riwut Km. 2"),
    (
        "Badan Perencanaan Pembangunan Daerah, Penelitian dan Pengembangan Kota Palangka Raya",
        "Bappedalitbang",
        "Jl. Tjilik Riwut Km. 5,5",
    ),
    ("Dinas Sosial Kota Palangka Raya", "Dinas Sosial", "Jl. Yos Sudarso"),
    ("Dinas Kesehatan Kota Palangka Raya", "Dinkes", "Jl. Tjilik Riwut Km. 5,5"),
    ("Badan Penanggulangan Bencana Daerah Kota Palangka Raya", "BPBD", "Jl. Yos Sudarso"),
    ("Dinas Koperasi, Usaha Kecil dan Menengah Kota Palangka Raya", "Diskop UKM", "Jl. Tjilik Riwut Km. 5,5"),
]

# Kepwal 188/2016: 105,2 ha in 8 kelurahan of Pahandut and Jekan Raya (reference
# §5.2); the split over kawasan below is illustrative, the SK and total are sourced.
SLUM_AREAS = [
    ("Pahandut", "Murjani Bawah / Rindang Banua", "188.45/564/2018", 2018, "31.77", SlumTypology.TEPI_AIR),
    ("Pahandut", "Pesanggrahan", "188.45/564/2018", 2018, "7.71", SlumTypology.TEPI_AIR),
    ("Pahandut Seberang", "Pahandut Seberang tepi Kahayan", "188/2016", 2016, "18.30", SlumTypology.TEPI_AIR),
    ("Langkai", "Danau Seha dan sekitarnya", "188/2016", 2016, "12.40", SlumTypology.ATAS_AIR),
    ("Palangka", "Komplek Jl. Mendawai dan sekitarnya", "188/2016", 2016, "8.80", SlumTypology.TEPI_AIR),
    ("Panarung", "Flamboyan Bawah", "188/2016", 2016, "9.12", SlumTypology.TEPI_AIR),
    ("Tanjung Pinang", "Tanjung Pinang tepi sungai", "188/2016", 2016, "6.50", SlumTypology.DATARAN_RENDAH),
    ("Menteng", "Menteng RT rawan genangan", "188/2016", 2016, "5.60", SlumTypology.DATARAN_RENDAH),
    ("Bukit Tunggal", "Bukit Tunggal permukiman padat", "188/2016", 2016, "5.00", SlumTypology.DATARAN_RENDAH),
]

PROPOSAL_IDEAS = [
    ("Pembangunan drainase lingkungan RT {rt}", "Dinas PUPR", "Program Penyelenggaraan Drainase"),
    ("Peningkatan jalan lingkungan titian ulin RT {rt}", "Disperkimtan", "Program Kawasan Permukiman"),
    ("Rehabilitasi rumah tidak layak huni RT {rt}", "Disperkimtan", "Program Pengembangan Perumahan"),
    ("Sambungan air minum bagi warga miskin RT {rt}", "Dinas PUPR", "Program Pengelolaan Air Minum"),
    ("IPAL komunal dan jamban sehat RT {rt}", "Dinas PUPR", "Program Pengelolaan Air Limbah"),
    ("Pengadaan gerobak dan TPS 3R RT {rt}", "DLH", "Program Pengelolaan Persampahan"),
    ("Hidran dan alat pemadam kebakaran lingkungan RT {rt}", "BPBD", "Program Penanggulangan Bencana"),
    ("Pelatihan usaha dan pendampingan KSM", "Diskop UKM", "Program Pemberdayaan Usaha Mikro"),
    ("Bantuan sosial lansia dan disabilitas", "Dinas Sosial", "Program Perlindungan Sosial"),
    ("Penyuluhan PHBS dan jambanisasi", "Dinkes", "Program Kesehatan Lingkungan"),
    ("Penyusunan review RPLP kelurahan", "Bappedalitbang", "Program Perencanaan Pembangunan Daerah"),
]

BANKS = ["Bank Kalteng", "BRI", "BNI", "Bank Mandiri", "BSI"]


def minimal_pdf(title: str, lines: list[str]) -> bytes:
    """A small valid one-page PDF (Helvetica text), built by hand so it needs nothing."""

    def esc(text: str) -> str:
        ascii_text = text.encode("latin-1", "replace").decode("latin-1")
        return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 16 Tf", "60 780 Td", f"({esc(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        ops += ["0 -20 Td", f"({esc(line)}) Tj"]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _person(rng: random.Random, gender: str) -> str:
    first = rng.choice(WOMEN if gender == Gender.PEREMPUAN else MEN)
    return f"{first} {rng.choice(SURNAMES)}"


def _nik(rng: random.Random, gender: str, kecamatan_index: int) -> str:
    day = rng.randint(1, 28) + (40 if gender == Gender.PEREMPUAN else 0)
    return (
        f"6271{kecamatan_index:02d}{day:02d}{rng.randint(1, 12):02d}{rng.randint(60, 99):02d}{rng.randint(1, 9999):04d}"
    )


def _phone(rng: random.Random) -> str:
    return f"08{rng.choice(['11', '12', '13', '52', '53', '21'])}{rng.randint(10000000, 99999999)}"


def _rupiah(rng: random.Random, lo: int, hi: int, unit: int = 100_000) -> Decimal:
    return Decimal(rng.randint(lo // unit, hi // unit) * unit)


def _upload(name: str, title: str, lines: list[str]) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, minimal_pdf(title, lines), content_type="application/pdf")


def _seed_opds() -> dict[str, OPD]:
    opds = {}
    for name, acronym, address in OPDS:
        opd, _ = OPD.objects.get_or_create(name=name, defaults={"acronym": acronym, "address": address})
        opds[acronym] = opd
    return opds


def _seed_slum_areas(rng: random.Random, today: datetime.date) -> list[SlumArea]:
    areas = []
    for kel_name, name, sk, year, ha, typology in SLUM_AREAS:
        kel = Kelurahan.objects.filter(name=kel_name).first()
        if kel is None:
            continue
        area = SlumArea.objects.filter(kelurahan=kel, name=name, sk_number=f"Kepwal {sk}").first()
        if area is None:
            area = services.slum_area_save(
                data={
                    "kelurahan": kel,
                    "name": name,
                    "sk_number": f"Kepwal {sk}",
                    "sk_year": year,
                    "area_ha": Decimal(ha),
                    "typology": typology,
                    "notes": "Delineasi contoh; luas per kawasan perlu dicocokkan dengan lampiran SK.",
                }
            )
            # Three yearly measures, each a little better than the year before.
            levels = {f: Decimal(rng.randint(35, 95)) for f in _aspect_fields()}
            for offset in (3, 2, 1):
                services.slum_measure_save(area=area, data={"year": today.year - offset, **levels})
                levels = {f: max(Decimal(0), v - rng.randint(3, 18)) for f, v in levels.items()}
        areas.append(area)
    return areas


def _aspect_fields() -> list[str]:
    from .models import SLUM_ASPECTS

    return [f for f, _label in SLUM_ASPECTS]


def _years_before(day: datetime.date, years: int) -> datetime.date:
    # 29 February has no twin in most years: fall back to the 28th.
    return day.replace(year=day.year - years, day=min(day.day, 28))


def _seed_board(rng: random.Random, bkm: BKM, index: int, today: datetime.date, kec_index: int) -> None:
    # Scenarios so the warnings have examples: a third expired or ending soon.
    scenario = index % 6
    if scenario == 0:
        term_end = today - datetime.timedelta(days=rng.randint(20, 400))  # expired
    elif scenario == 1:
        term_end = today + datetime.timedelta(days=rng.randint(10, 80))  # ending within 90 days
    else:
        term_end = today + datetime.timedelta(days=rng.randint(150, 900))
    term_start = _years_before(term_end, 3)
    election_date = term_start - datetime.timedelta(days=rng.randint(5, 30))
    adults = rng.randint(1800, 9000)
    previous = services.election_save(
        bkm=bkm,
        data={
            "election_date": _years_before(election_date, 3),
            "adults": adults - rng.randint(100, 600),
            "voters": int(adults * rng.uniform(0.25, 0.5)),
            "minutes": "Pemilihan anggota BKM periode sebelumnya melalui rembug warga tingkat kelurahan.",
        },
    )
    election = services.election_save(
        bkm=bkm,
        data={
            "election_date": election_date,
            "adults": adults,
            "voters": int(adults * rng.uniform(0.22, 0.55)),
            "minutes": (
                "Pemilu BKM langsung dan tertutup, tanpa kampanye dan tanpa pencalonan, dimulai dari tingkat RT; "
                f"utusan warga memilih anggota BKM periode {term_start.year}–{term_end.year}."
            ),
        },
    )
    size = rng.choice([9, 9, 11, 11, 13]) if index % 7 != 3 else rng.choice([6, 7, 15])
    # Most boards meet the 30 % women norm; every fifth does not.
    women = rng.randint(-(-size * 3 // 10), size // 2) if index % 5 != 2 else rng.randint(0, 2)
    genders = [Gender.PEREMPUAN] * women + [Gender.LAKI_LAKI] * (size - women)
    rng.shuffle(genders)
    for i, gender in enumerate(genders):
        services.board_member_save(
            bkm=bkm,
            data={
                "name": _person(rng, gender),
                "nik": _nik(rng, gender, kec_index) if rng.random() < 0.8 else "",
                "gender": gender,
                "phone": _phone(rng) if rng.random() < 0.7 else "",
                "position": BoardPosition.KOORDINATOR if i == 0 else BoardPosition.ANGGOTA,
                "term_start": term_start,
                "term_end": term_end,
                "election": election,
                "is_active": True,
            },
        )
    # A few members of the previous board, kept on record.
    for _i in range(rng.randint(2, 4)):
        gender = rng.choice([Gender.LAKI_LAKI, Gender.PEREMPUAN])
        services.board_member_save(
            bkm=bkm,
            data={
                "name": _person(rng, gender),
                "gender": gender,
                "position": BoardPosition.ANGGOTA,
                "term_start": _years_before(term_start, 3),
                "term_end": term_start,
                "election": previous,
                "is_active": False,
            },
        )


UNIT_STAFF: dict[str, list[str]] = {
    UnitType.UPK: [UnitPosition.MANAJER, UnitPosition.KASIR, UnitPosition.PEMBUKUAN, UnitPosition.PETUGAS_PINJAMAN],
    UnitType.UPL: [UnitPosition.KOORDINATOR, UnitPosition.ANGGOTA],
    UnitType.UPS: [UnitPosition.KOORDINATOR, UnitPosition.ANGGOTA],
    UnitType.SEKRETARIAT: [UnitPosition.SEKRETARIS, UnitPosition.STAF],
    UnitType.PENGAWAS_UPK: [UnitPosition.PENGAWAS, UnitPosition.PENGAWAS, UnitPosition.PENGAWAS],
}


def _seed_units(rng: random.Random, bkm: BKM, today: datetime.date) -> None:
    for unit in Unit.objects.filter(bkm=bkm).order_by("unit_type"):
        for position in UNIT_STAFF.get(unit.unit_type, []):
            gender = rng.choice([Gender.LAKI_LAKI, Gender.PEREMPUAN])
            services.unit_person_save(
                bkm=bkm,
                data={
                    "unit": unit,
                    "name": _person(rng, gender),
                    "position": position,
                    "gender": gender,
                    "phone": _phone(rng),
                    "start_date": today.replace(year=today.year - rng.randint(1, 6), month=rng.randint(1, 12), day=1),
                    "is_active": True,
                },
            )


def _seed_documents(rng: random.Random, bkm: BKM, today: datetime.date) -> dict[str, object]:
    made: dict[str, object] = {}
    kel = bkm.kelurahan.name
    plan = [
        (DocumentType.ADART, f"AD/ART {bkm.name}", 0.95),
        (DocumentType.AKTA, f"Akta pendirian perkumpulan {bkm.name}", 0.85),
        (DocumentType.SK, f"SK Lurah {kel} tentang pengukuhan BKM", 0.6),
        (DocumentType.PJM_RPLP, f"RPLP Kelurahan {kel}", 0.7),
        (DocumentType.LPJ, f"LPJ tahunan {today.year - 1}", 0.6),
    ]
    for doc_type, title, chance in plan:
        if rng.random() > chance:
            continue
        doc = services.document_create(
            bkm=bkm,
            doc_type=doc_type,
            title=title,
            upload=_upload(f"{doc_type}-{bkm.pk}.pdf", title, [bkm.name, f"Kelurahan {kel}", "Dokumen contoh"]),
            note="Unggahan awal",
            actor=None,
        )
        if doc_type == DocumentType.ADART and rng.random() < 0.4:
            services.document_add_version(
                document=doc,
                upload=_upload(f"adart-{bkm.pk}-rev.pdf", f"{title} (perubahan)", [bkm.name, "Hasil rembug warga"]),
                note="Perubahan hasil rembug warga",
                actor=None,
            )
        made[doc_type] = doc
    return made


def _seed_handover(rng: random.Random, bkm: BKM, index: int) -> None:
    if index % 5 in (3, 4):
        return  # two in five have no handover yet
    year = rng.choice([2023, 2024, 2025])
    ba = services.document_create(
        bkm=bkm,
        doc_type=DocumentType.BERITA_ACARA,
        title=f"Berita acara serah terima aset {bkm.name}",
        upload=_upload(f"ba-{bkm.pk}.pdf", "Berita Acara Serah Terima Aset", [bkm.name, f"Tahun {year}"]),
        actor=None,
    )
    services.handover_save(
        bkm=bkm,
        data={
            "handover_date": datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)),
            "legal_basis": f"Keputusan Wali Kota Palangka Raya Nomor 188.45/{rng.randint(100, 900)}/{year}",
            "berita_acara": ba,
            "asset_kas": _rupiah(rng, 2_000_000, 25_000_000),
            "asset_bank": _rupiah(rng, 20_000_000, 350_000_000),
            "asset_piutang_ksm": _rupiah(rng, 50_000_000, 600_000_000),
            "asset_inventaris": _rupiah(rng, 3_000_000, 40_000_000),
            "asset_infrastruktur": _rupiah(rng, 100_000_000, 2_500_000_000),
            "notes": "Nilai aset sesuai berita acara.",
        },
    )


def _seed_bank_accounts(rng: random.Random, bkm: BKM, index: int) -> None:
    for purpose in ["Operasional BKM", "Dana bergulir UPK"][: rng.randint(1, 2)]:
        services.bank_account_save(
            bkm=bkm,
            data={
                "bank_name": rng.choice(BANKS),
                "account_number": f"{rng.randint(100, 999)}-{index:02d}-{rng.randint(1000000, 9999999)}",
                "account_holder": f"{bkm.name} ({purpose})",
                "purpose": purpose,
                "is_active": True,
            },
        )


def _seed_assessments_and_audits(rng: random.Random, bkm: BKM, today: datetime.date, docs: dict[str, object]) -> None:
    aspects = list(AssessmentAspect.objects.filter(is_active=True).order_by("order"))
    for year in (today.year - 2, today.year - 1):
        if rng.random() < 0.25:
            continue
        scores = {a: (a.default_weight, Decimal(rng.randint(40, 95))) for a in aspects}
        services.assessment_save(
            bkm=bkm,
            data={
                "year": year,
                "assessed_on": datetime.date(year, 11, rng.randint(1, 28)),
                "assessor": "Tim POKJA-PKP Kota Palangka Raya",
                "notes": "",
            },
            scores=scores,
        )
    for year in (today.year - 2, today.year - 1):
        if rng.random() < 0.3:
            continue
        opinion = rng.choices(
            [AuditOpinion.WTP, AuditOpinion.WDP, AuditOpinion.TW, AuditOpinion.TMP], weights=[55, 30, 10, 5]
        )[0]
        has_findings = opinion != AuditOpinion.WTP or rng.random() < 0.3
        report = services.document_create(
            bkm=bkm,
            doc_type=DocumentType.LAPORAN_AUDIT,
            title=f"Laporan audit independen tahun buku {year}",
            upload=_upload(f"audit-{bkm.pk}-{year}.pdf", f"Laporan Audit {year}", [bkm.name, f"Opini {opinion}"]),
            actor=None,
        )
        services.audit_save(
            bkm=bkm,
            data={
                "fiscal_year": year,
                "auditor": rng.choice(["KAP Hendra & Rekan", "KAP Sahat Manurung", "KAP Ruslan Batubara"]),
                "audit_date": datetime.date(year + 1, rng.randint(2, 6), rng.randint(1, 28)),
                "opinion": opinion,
                "findings": (
                    "Selisih saldo kas dengan buku kas harian; konfirmasi KSM belum lengkap." if has_findings else ""
                ),
                "follow_up_status": (
                    rng.choice([FollowUpStatus.BELUM, FollowUpStatus.PROSES, FollowUpStatus.SELESAI])
                    if has_findings
                    else FollowUpStatus.TIDAK_ADA
                ),
                "follow_up_notes": "",
                "report_document": report,
            },
        )


def _seed_proposals(
    rng: random.Random, bkms: list[BKM], opds: dict[str, OPD], areas: list[SlumArea], today: datetime.date, count: int
) -> None:
    # Paths through the transition table, ending at each status.
    paths = [
        [],
        [ProposalStatus.DIBAHAS],
        [ProposalStatus.DIBAHAS, ProposalStatus.DISETUJUI],
        [ProposalStatus.DIBAHAS, ProposalStatus.DITOLAK],
        [ProposalStatus.DIBAHAS, ProposalStatus.DISETUJUI, ProposalStatus.DILAKSANAKAN],
        [ProposalStatus.DIBAHAS, ProposalStatus.DISETUJUI, ProposalStatus.DILAKSANAKAN, ProposalStatus.SELESAI],
    ]
    areas_by_kel: dict[int, list[SlumArea]] = {}
    for area in areas:
        areas_by_kel.setdefault(area.kelurahan_id, []).append(area)
    terminal = {ProposalStatus.DITOLAK, ProposalStatus.SELESAI}
    now = timezone.now()
    for i in range(count):
        bkm = bkms[i % len(bkms)] if i < len(bkms) else rng.choice(bkms)
        title, opd_key, programme = rng.choice(PROPOSAL_IDEAS)
        path = paths[i % len(paths)]
        # When each step happened. A proposal still open entered its status recently, except about one in
        # five, stuck for months (what the dashboard's "stuck" warning is for); a closed one was proposed
        # in one of the last three years and moved on every few weeks.
        if path and path[-1] in terminal:
            year = rng.choice([today.year - 2, today.year - 1, today.year])
            created = timezone.make_aware(datetime.datetime(year, rng.randint(1, 3), rng.randint(1, 28), 9, 0))
            moments = [created]
            for _step in path:
                moments.append(moments[-1] + datetime.timedelta(days=rng.randint(14, 75)))
            if moments[-1] > now:  # a recent one: the same steps, ending some days ago
                shift = moments[-1] - now + datetime.timedelta(days=rng.randint(3, 30))
                moments = [m - shift for m in moments]
        else:
            stuck = rng.random() < 0.2
            last = now - datetime.timedelta(days=rng.randint(90, 420) if stuck else rng.randint(2, 45))
            moments = [last]
            for _step in path:
                moments.insert(0, moments[0] - datetime.timedelta(days=rng.randint(14, 75)))
            moments[0] = moments[0].replace(hour=9, minute=0, second=0, microsecond=0)
        year = moments[0].year
        kel_areas = areas_by_kel.get(bkm.kelurahan_id, [])
        budget = _rupiah(rng, 25_000_000, 900_000_000, unit=500_000)
        proposal = services.proposal_create(
            bkm=bkm,
            data={
                "opd": opds[opd_key],
                "title": title.format(rt=f"{rng.randint(1, 12):02d}"),
                "programme": programme,
                "kelurahan": bkm.kelurahan,
                "slum_area": rng.choice(kel_areas) if kel_areas else None,
                "year": year,
                "budget_proposed": budget,
                "funding_source": rng.choices(
                    [FundingSource.APBD, FundingSource.APBN, FundingSource.CSR, FundingSource.SWADAYA],
                    weights=[60, 20, 10, 10],
                )[0],
                "description": "Usulan dari RPLP kelurahan, dibahas dalam rembug warga.",
            },
            actor=None,
            note="Usulan diterima sekretariat POKJA-PKP.",
            at=moments[0],
        )
        for step, moment in zip(path, moments[1:], strict=True):
            services.proposal_transition(
                proposal_id=proposal.pk,
                to_status=step,
                actor=None,
                note={
                    ProposalStatus.DIBAHAS: "Dibahas dalam rapat POKJA-PKP bersama OPD.",
                    ProposalStatus.DISETUJUI: "Masuk rencana kerja OPD.",
                    ProposalStatus.DITOLAK: "Tidak sesuai prioritas anggaran tahun berjalan.",
                    ProposalStatus.DILAKSANAKAN: "Pekerjaan dimulai.",
                    ProposalStatus.SELESAI: "Serah terima pekerjaan.",
                }[step],
                budget_approved=(
                    (budget * Decimal(rng.randint(60, 100)) / 100).quantize(Decimal(1))
                    if step == ProposalStatus.DISETUJUI
                    else None
                ),
                at=moment,
            )


def seed(*, rng: random.Random, scale: str) -> None:
    today = timezone.localdate()
    # One generator per part, so reusing existing reference rows (second run)
    # does not shift the random stream of the BKM records.
    slum_rng, bkm_rng, proposal_rng = (random.Random(rng.getrandbits(64)) for _ in range(3))
    opds = _seed_opds()
    areas = _seed_slum_areas(slum_rng, today)
    bkms = list(
        BKM.objects.filter(status=BKMStatus.AKTIF)
        .select_related("kelurahan__kecamatan")
        .order_by("kelurahan__kecamatan__code", "kelurahan__code")
    )
    kecamatan_codes = sorted({b.kelurahan.kecamatan.code for b in bkms})
    for index, bkm in enumerate(bkms):
        # Each BKM its own generator: skipping an already-seeded one shifts nothing.
        rng = random.Random(f"{bkm_rng.random()}-{bkm.kelurahan.code}")
        if BoardMember.objects.filter(bkm=bkm).exists():
            continue  # already seeded
        kec_index = kecamatan_codes.index(bkm.kelurahan.kecamatan.code) + 1
        services.bkm_update_profile(
            bkm=bkm,
            data={
                "akta_number": f"{rng.randint(1, 60)}" if index % 4 else "",
                "akta_date": bkm.date_formed if index % 4 else None,
                "notary": rng.choice(["Hj. Siti Rahmah, S.H., M.Kn.", "Yohanes Tambun, S.H.", "Rina Anggraeni, S.H."])
                if index % 4
                else "",
                "adart_version": f"Perubahan ke-{rng.randint(1, 3)}, {rng.randint(2016, 2023)}",
            },
        )
        _seed_board(rng, bkm, index, today, kec_index)
        _seed_units(rng, bkm, today)
        _seed_bank_accounts(rng, bkm, index)
        docs = _seed_documents(rng, bkm, today)
        _seed_handover(rng, bkm, index)
        _seed_assessments_and_audits(rng, bkm, today, docs)
    if bkms and not bkms[0].proposals.exists():
        count = {"small": 24, "city": 45, "large": 90}.get(scale, 45)
        _seed_proposals(proposal_rng, bkms, opds, areas, today, count)
