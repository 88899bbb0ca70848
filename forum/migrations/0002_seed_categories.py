"""Seed the city's forum categories and their grants (grants only, no negative grants).

General categories are open to every role; "Pengumuman POKJA-PKP" takes new
threads from staff only. One category per kecamatan: every BKM member may see
it, but reading and posting are granted only to members whose BKM lies in that
kecamatan (plus staff and, read-only, UPK managers).
"""

from django.db import migrations
from django.utils.text import slugify

ALL = ["see", "read", "start", "reply", "attach"]
READ_ONLY = ["see", "read"]

GENERAL = [
    ("Kelembagaan BKM", "kelembagaan-bkm", "Tata kelola BKM/LKM: AD/ART, pemilihan anggota, rapat, legalitas dan regenerasi."),
    ("Pinjaman Bergulir & UPK", "pinjaman-bergulir-upk", "Pengelolaan pinjaman bergulir, pembukuan UPK, kolektibilitas dan penanganan tunggakan."),
    ("Pencegahan dan Penanganan Kumuh", "pencegahan-penanganan-kumuh", "Kawasan kumuh, RPLP, infrastruktur lingkungan, sanitasi dan drainase."),
    ("Kolaborasi dengan OPD", "kolaborasi-opd", "Membawa usulan BKM ke OPD, musrenbang, dan kerja sama dengan pemerintah kota."),
    ("Pengumuman POKJA-PKP", "pengumuman-pokja-pkp", "Pengumuman resmi dari Sekretariat POKJA-PKP dan Bappedalitbang."),
]

STAFF_FULL = {"staff_admin": ALL, "sysadmin": ALL}


def general_grants(slug):
    if slug == "pengumuman-pokja-pkp":
        return {**STAFF_FULL, "staff_viewer": READ_ONLY, "upk_manager": ["see", "read", "reply"], "bkm_member": ["see", "read", "reply"]}
    return {**STAFF_FULL, "staff_viewer": READ_ONLY, "upk_manager": ALL, "bkm_member": ALL}


def seed(apps, schema_editor):
    Category = apps.get_model("forum", "Category")
    CategoryPermission = apps.get_model("forum", "CategoryPermission")
    Kecamatan = apps.get_model("bkm", "Kecamatan")

    def grant(category, role, perms, scoped=False):
        for perm in perms:
            CategoryPermission.objects.get_or_create(
                category=category, role=role, permission=perm, own_kecamatan_only=scoped
            )

    for position, (name, slug, description) in enumerate(GENERAL, start=1):
        category, _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
        for role, perms in general_grants(slug).items():
            grant(category, role, perms)

    for offset, kecamatan in enumerate(Kecamatan.objects.order_by("name")):
        category, _ = Category.objects.get_or_create(
            slug=f"kecamatan-{slugify(kecamatan.name)}",
            defaults={
                "name": f"Kecamatan {kecamatan.name}",
                "description": f"Forum BKM/LKM se-Kecamatan {kecamatan.name}.",
                "position": 10 + offset,
                "kecamatan": kecamatan,
            },
        )
        for role, perms in STAFF_FULL.items():
            grant(category, role, perms)
        grant(category, "staff_viewer", READ_ONLY)
        grant(category, "upk_manager", READ_ONLY)
        grant(category, "bkm_member", ["see"])
        grant(category, "bkm_member", ["read", "start", "reply", "attach"], scoped=True)


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0001_initial"),
        ("bkm", "0003_reference_data"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
