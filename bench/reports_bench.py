"""Time and peak memory of producing report PDFs for 30 and 1,000 BKMs/UPKs.

    python -m bench.reports_bench            # both sizes, every report
    python -m bench.reports_bench --sizes 30 --reports kinerja_upk_kota

Runs on PostgreSQL with the test settings, in a scratch database
`test_<POKJA_TEST_DB>` (default POKJA_TEST_DB=pokja_bench_reports), created if
missing and kept. For each size the data are generated once (synthetic
kecamatan/kelurahan beyond the city's 30, one active BKM per kelurahan with its
five units and three collaboration proposals; for the city UPK report each
UPK unit also gets books with 200 loans, generated with the ledger bench's
bulk SQL into the real ledger tables, `bench.upk_bench.generate`); then each
report is produced
in a fresh child process exactly as the worker does it
(`reports.services.report_run_generate`: selectors → template → WeasyPrint →
atomic write), so the peak RSS printed (ru_maxrss of that child) is the
report's own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from decimal import Decimal

os.environ.setdefault("POKJA_TEST_DB", "pokja_bench_reports")
os.environ.setdefault("POKJA_TEST_REDIS_DB", "9")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pokja_portal.settings.test")


def _previous_month() -> str:
    from datetime import date

    today = date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


REPORTS: dict[str, dict] = {"kolaborasi": {}, "profil_bkm": {}, "kinerja_upk_kota": {"period": _previous_month()}}
UPK_REPORTS = {"kinerja_upk_kota"}


def _setup(create: bool) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    name = "test_" + os.environ["POKJA_TEST_DB"]
    if create:
        from django.test.utils import setup_databases

        setup_databases(verbosity=0, interactive=False, keepdb=True)
    else:
        settings.DATABASES["default"]["NAME"] = name
        connection.settings_dict["NAME"] = name


def _truncate_ledger() -> None:
    """Empty every ledger table (journal entries protect their units from deletion)."""
    from django.apps import apps
    from django.db import connection

    tables = [m._meta.db_table for m in apps.get_app_config("upk").get_models()]
    if tables:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")  # noqa: S608 - table names from the models


def generate_books(units: list) -> int:
    """Books for every UPK unit: settings, chart of accounts and 200 loans each (bulk SQL of bench.upk_bench)."""
    from datetime import date

    from bench.upk_bench import LOANS_PER_UPK
    from bench.upk_bench import generate as generate_loans
    from core.models import User
    from upk.models import Account, UpkSettings
    from upk.services import DEFAULT_CHART

    user, _ = User.objects.get_or_create(username="bench-laporan", defaults={"role": "staff_admin"})
    UpkSettings.objects.bulk_create([UpkSettings(upk=u) for u in units])
    Account.objects.bulk_create(
        [
            Account(upk=u, code=code, name=name, kind=kind, is_contra=contra, role=role)
            for u in units
            for code, name, kind, contra, role in DEFAULT_CHART
        ]
    )
    batch = 100
    for start in range(0, len(units), batch):
        generate_loans(units[start : start + batch], start * LOANS_PER_UPK, user.pk, date.today())
    return len(units) * LOANS_PER_UPK


def generate(size: int, *, with_books: bool = False) -> dict[str, int]:
    """Replace the registry with `size` BKMs (and their units and proposals; books for the UPKs)."""
    import random

    from django.db import transaction

    from bkm.models import BKM, OPD, FundingSource, Kecamatan, Kelurahan, Proposal, ProposalStatus, Unit, UnitType
    from reports.models import ReportRun

    rng = random.Random(size)
    _truncate_ledger()
    with transaction.atomic():
        ReportRun.objects.all().delete()
        Proposal.history.all().delete()  # type: ignore[attr-defined]
        Proposal.objects.all().delete()
        Unit.history.all().delete()  # type: ignore[attr-defined]
        BKM.history.all().delete()  # type: ignore[attr-defined]
        Unit.objects.all().delete()
        from core.models import User

        User.objects.update(bkm=None)
        BKM.objects.all().delete()
        kelurahan = list(Kelurahan.objects.order_by("id"))
        missing = size - len(kelurahan)
        if missing > 0:
            per_kec = 50
            for k in range((missing + per_kec - 1) // per_kec):
                kec, _ = Kecamatan.objects.get_or_create(
                    code=f"BENCH.{k:03d}", defaults={"name": f"Kecamatan Sintetis {k:03d}"}
                )
                Kelurahan.objects.bulk_create(
                    [
                        Kelurahan(
                            kecamatan=kec, code=f"BENCH.{k:03d}.{i:03d}", name=f"Kelurahan Sintetis {k:03d}-{i:03d}"
                        )
                        for i in range(per_kec)
                    ],
                    ignore_conflicts=True,
                )
            kelurahan = list(Kelurahan.objects.order_by("id"))
        bkms = BKM.objects.bulk_create(
            [
                BKM(
                    name=f"BKM Bench {i:04d}",
                    kelurahan=kel,
                    address=f"Jl. Bench No. {i}",
                    phone="0812000000",
                    akta_number=f"AKTA-{i}" if i % 3 else "",
                )
                for i, kel in enumerate(kelurahan[:size])
            ]
        )
        Unit.objects.bulk_create(
            [Unit(bkm=b, unit_type=t, name=f"{t.label.split(' ')[0]} {b.name}") for b in bkms for t in UnitType]
        )
        opds = [OPD.objects.get_or_create(name=n)[0] for n in ("Dinas PUPR", "Disperkimtan", "DLH", "Bappedalitbang")]
        statuses = list(ProposalStatus)
        Proposal.objects.bulk_create(
            [
                Proposal(
                    bkm=b,
                    opd=rng.choice(opds),
                    title=f"Usulan {j} {b.name}",
                    kelurahan=b.kelurahan,
                    year=rng.choice([2024, 2025, 2026]),
                    budget_proposed=Decimal(rng.randrange(5, 500) * 1_000_000),
                    budget_approved=Decimal(rng.randrange(1, 5) * 1_000_000) if rng.random() < 0.5 else None,
                    funding_source=rng.choice(list(FundingSource)),
                    status=rng.choice(statuses),
                )
                for b in bkms
                for j in range(3)
            ]
        )
    loans = 0
    if with_books:
        upk_units = list(Unit.objects.filter(unit_type=UnitType.UPK).select_related("bkm").order_by("pk"))
        loans = generate_books(upk_units)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"bkm": len(bkms), "proposals": 3 * len(bkms), "loans": loans}


def measure(report_type: str) -> dict[str, float]:
    """Produce one report in this process; returns seconds, peak RSS (MiB), pages and size."""
    from django.core.files.storage import default_storage
    from pypdf import PdfReader

    from reports.models import ReportRun, RunStatus
    from reports.services import report_run_create, report_run_generate

    run = report_run_create(user=None, report_type=report_type, params=REPORTS[report_type])
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    run.refresh_from_db()
    start = time.perf_counter()
    report_run_generate(run=run)
    elapsed = time.perf_counter() - start
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    pages = len(PdfReader(default_storage.path(run.pdf.name)).pages)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(elapsed, 2), "peak_mib": round(peak_mib), "pages": pages, "bytes": run.pdf_size or 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 1000])
    parser.add_argument("--reports", nargs="+", choices=list(REPORTS), help="default: all (no Profil book above 100)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _setup(create=False)
        print(json.dumps(measure(args.measure)))
        return
    _setup(create=True)
    print(
        f"{'report':<17} {'BKMs/UPKs':>9} {'proposals':>9} {'loans':>8} {'pages':>6} {'PDF KiB':>8} "
        f"{'time s':>8} {'peak RSS MiB':>13}"
    )
    for size in args.sizes:
        t = time.perf_counter()
        # A province-sized Profil book needs several GB (see docs/performance.md): only when asked for.
        reports = args.reports or [r for r in REPORTS if r != "profil_bkm" or size <= 100]
        counts = generate(size, with_books=bool(UPK_REPORTS & set(reports)))
        print(f"# generated {size} BKMs in {time.perf_counter() - t:.0f} s", flush=True)
        for report_type in reports:
            out = subprocess.run(
                [sys.executable, "-m", "bench.reports_bench", "--measure", report_type],
                check=True,
                capture_output=True,
                text=True,
                env=os.environ,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{report_type:<17} {counts['bkm']:>9} {counts['proposals']:>9} {counts['loans']:>8} {r['pages']:>6} "
                f"{r['bytes'] / 1024:>8.0f} {r['seconds']:>8.2f} {r['peak_mib']:>13}",
                flush=True,
            )


if __name__ == "__main__":
    main()
