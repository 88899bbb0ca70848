"""Demo content of the capacity-building library and trainings (a `seed_demo` step of the forum).

About fifteen materials in every category, tagged with the assessment's aspects, several with
two or three versions (small generated PDFs); four trainings — two past with attendance, two
upcoming with people registered by staff and by the demo coordinator. Everything goes through
the services, as the staff and the coordinator would.
"""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bkm.demo_extra import minimal_pdf
from bkm.models import BKM, OPD, AssessmentAspect, BoardMember, UnitType

from . import library_services as services
from .models import Material, MaterialCategory, Training

User = get_user_model()

# (category slug, title, description, aspect codes, versions)
MATERIALS: list[tuple[str, str, str, tuple[str, ...], int]] = [
    (
        "juknis",
        "Juknis Pengelolaan Pinjaman Bergulir UPK",
        "Petunjuk teknis penyaluran, penagihan dan kolektibilitas pinjaman bergulir bagi KSM.",
        ("sumberdaya-keuangan", "ksm-kemitraan"),
        3,
    ),
    (
        "juknis",
        "Juknis Penyusunan dan Review RPLP",
        "Tahapan penyusunan rencana penataan lingkungan permukiman (RPLP) bersama warga dan review tahunannya.",
        ("sistem-manajemen",),
        2,
    ),
    (
        "juknis",
        "Juknis Kolaborasi BKM dengan OPD",
        "Cara membawa usulan kegiatan BKM ke musrenbang dan ke OPD teknis.",
        ("ksm-kemitraan", "kepemimpinan"),
        1,
    ),
    (
        "sop",
        "SOP Rapat Anggota dan Rembug Warga",
        "Prosedur undangan, kuorum, notulen dan keputusan rapat BKM serta rembug warga.",
        ("kepemimpinan", "organisasi"),
        2,
    ),
    (
        "sop",
        "SOP Pemilihan Anggota BKM",
        "Pemilihan anggota BKM secara langsung dan rahasia: panitia, tahapan, berita acara.",
        ("organisasi",),
        1,
    ),
    (
        "sop",
        "SOP Penagihan dan Penanganan Tunggakan",
        "Langkah penagihan angsuran, kunjungan KSM yang menunggak, tanggung renteng dan penghapusan.",
        ("sumberdaya-keuangan",),
        2,
    ),
    (
        "sop",
        "SOP Pengarsipan Dokumen BKM",
        "Penyimpanan dan penomoran dokumen, notulen dan bukti kegiatan (dokumentasi).",
        ("sistem-manajemen",),
        1,
    ),
    (
        "templat",
        "Templat AD/ART BKM/LKM",
        "Anggaran dasar dan anggaran rumah tangga BKM/LKM, siap disesuaikan hasil rembug warga.",
        ("organisasi",),
        3,
    ),
    (
        "templat",
        "Templat Dokumen RPLP Kelurahan",
        "Kerangka dokumen RPLP: profil kawasan, tujuh aspek kumuh, rencana investasi.",
        ("sistem-manajemen",),
        2,
    ),
    (
        "templat",
        "Templat Pembukuan UPK (Buku Kas dan Neraca)",
        "Buku kas, buku bank, jurnal, neraca dan laba rugi UPK bulanan.",
        ("sumberdaya-keuangan",),
        2,
    ),
    (
        "templat",
        "Templat Laporan Pertanggungjawaban Tahunan BKM",
        "Format LPJ tahunan BKM kepada warga dan pemerintah kota.",
        ("sumberdaya-keuangan", "sistem-manajemen"),
        1,
    ),
    (
        "materi-pelatihan",
        "Materi Pelatihan Kepemimpinan Kolektif",
        "Pengambilan keputusan bersama, peran perempuan dalam keputusan, mendengar usulan warga.",
        ("kepemimpinan",),
        1,
    ),
    (
        "materi-pelatihan",
        "Materi Pelatihan Kaderisasi Relawan",
        "Merekrut dan membina relawan muda setelah program KOTAKU berakhir.",
        ("sdm",),
        2,
    ),
    (
        "materi-pelatihan",
        "Materi Pelatihan Pembinaan KSM",
        "Pendampingan KSM: pertemuan rutin, tabungan, disiplin angsuran.",
        ("ksm-kemitraan",),
        1,
    ),
    (
        "peraturan",
        "Pedoman Kota tentang Pencegahan dan Peningkatan Kualitas Permukiman Kumuh",
        "Rujukan kota untuk penanganan kumuh dan peran BKM/LKM sebagai mitra.",
        ("sistem-manajemen", "ksm-kemitraan"),
        1,
    ),
]

# (title, topic, aspect codes, days from today, days long, OPD acronym or None for Bappedalitbang, capacity, place)
TRAININGS: list[tuple[str, str, tuple[str, ...], int, int, str | None, int, str]] = [
    (
        "Pelatihan Pembukuan UPK",
        "Buku kas, neraca dan laporan bulanan UPK",
        ("sumberdaya-keuangan",),
        -60,
        2,
        None,
        30,
        "Aula Bappedalitbang",
    ),
    (
        "Lokakarya Kepemimpinan Kolektif BKM",
        "Pengambilan keputusan dan rembug warga",
        ("kepemimpinan", "organisasi"),
        -20,
        1,
        None,
        25,
        "Aula Kantor Kecamatan Jekan Raya",
    ),
    (
        "Pelatihan Review RPLP",
        "Menyusun review tahunan RPLP bersama warga",
        ("sistem-manajemen",),
        12,
        2,
        "Bappedalitbang",
        30,
        "Ruang Rapat Bappedalitbang",
    ),
    (
        "Pelatihan Kemitraan dan Pembinaan KSM",
        "Kerja sama dengan OPD dan pembinaan KSM",
        ("ksm-kemitraan", "sdm", "sumberdaya-keuangan"),
        35,
        1,
        "Disperkimtan",
        20,
        "Aula Dinas Perumahan dan Kawasan Permukiman",
    ),
]


def _pdf(name: str, title: str, lines: list[str]) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, minimal_pdf(title, lines), content_type="application/pdf")


def _seed_materials(staff: object) -> None:
    categories = {c.slug: c for c in MaterialCategory.objects.all()}
    aspects = {a.code: a for a in AssessmentAspect.objects.all()}
    for index, (slug, title, description, codes, versions) in enumerate(MATERIALS, start=1):
        category = categories.get(slug)
        if category is None:
            continue
        material = services.material_create(
            user=staff,
            category=category,
            title=title,
            description=description,
            aspects=[aspects[c] for c in codes if c in aspects],
            upload=_pdf(f"materi-{index}.pdf", title, [description[:90], "Versi 1", "Contoh data demo"]),
            note="Versi pertama",
        )
        for number in range(2, versions + 1):
            services.material_add_version(
                user=staff,
                material=material,
                upload=_pdf(f"materi-{index}-v{number}.pdf", title, [description[:90], f"Versi {number}"]),
                note=f"Perbaikan ke-{number - 1} setelah masukan BKM",
            )


def _people(bkm: BKM, rng: random.Random, count: int) -> list[tuple[str, str]]:
    board = list(BoardMember.objects.filter(bkm=bkm, is_active=True).order_by("pk"))
    rng.shuffle(board)
    return [(m.name, str(m.get_position_display())) for m in board[:count]]


def _seed_trainings(rng: random.Random, staff: object, coordinator: object | None) -> None:
    today = timezone.localdate()
    aspects = {a.code: a for a in AssessmentAspect.objects.all()}
    opds = {o.acronym: o for o in OPD.objects.all()}
    bkms = list(BKM.objects.order_by("pk"))
    for title, topic, codes, offset, days, opd_key, capacity, place in TRAININGS:
        starts = today + datetime.timedelta(days=offset)
        training = services.training_create(
            user=staff,
            title=title,
            topic=topic,
            description=f"{topic}. Peserta: anggota BKM dan pengelola UPK.",
            starts_on=starts,
            ends_on=starts + datetime.timedelta(days=days - 1),
            place=place,
            capacity=capacity,
            organiser_opd=opds.get(opd_key) if opd_key else None,
            aspects=[aspects[c] for c in codes if c in aspects],
        )
        # Registration happened before the event; the services take the day it was done.
        registered_on = min(today, starts - datetime.timedelta(days=3))
        chosen = rng.sample(bkms, k=min(len(bkms), 6))
        if coordinator is not None and coordinator.bkm not in chosen:  # type: ignore[attr-defined]
            chosen[0] = coordinator.bkm  # type: ignore[attr-defined]
        for bkm in chosen:
            registrar = coordinator if coordinator is not None and bkm.pk == coordinator.bkm_id else staff  # type: ignore[attr-defined]
            upk = bkm.units.filter(unit_type=UnitType.UPK).first()
            for n, (name, position) in enumerate(_people(bkm, rng, 2)):
                services.training_participant_add(
                    user=registrar,
                    training=training,
                    bkm=bkm,
                    unit=upk if n == 1 and "UPK" in title else None,
                    name=name,
                    position=position,
                    today=registered_on,
                )
        if offset < 0:
            ids = list(training.participants.values_list("pk", flat=True))
            present = [pk for pk in ids if rng.random() < 0.8]
            services.training_record_attendance(user=staff, training=training, present_ids=present, today=today)


def seed(*, rng: random.Random, scale: str) -> None:
    if Material.objects.exists() or Training.objects.exists():
        return
    staff = User.objects.filter(username="staf").first()
    if staff is None:
        return
    coordinator = User.objects.filter(username="koordinator", is_coordinator=True).first()
    _seed_materials(staff)
    _seed_trainings(rng, staff, coordinator)
