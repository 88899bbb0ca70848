"""Time and peak memory of producing report PDFs for 30 and 1,000 BKMs/UPKs.

    python -m bench.reports_bench            # both sizes, every report
    python -m bench.reports_bench --sizes 30 --reports kinerja_upk_kota
    POKJA_BENCH_REPORTS_DB=pokja_bench_pages_province python -m bench.reports_bench --existing --sizes 0 \
        --reports rekap_forum bulanan_upk --user staf    # on a database as it is (forum data), as a staff user

Runs on PostgreSQL with the test settings, in a scratch database
`pokja_bench_reports` (POKJA_BENCH_REPORTS_DB), created if missing and kept. For each size the data are generated once (synthetic
kecamatan/kelurahan beyond the city's 30, one active BKM per kelurahan with its
five units and three collaboration proposals; for the city UPK report each
UPK unit also gets books with 200 loans, generated with the ledger bench's
bulk SQL into the real ledger tables, `bench.upk_bench.generate`); then each
report is produced
in a fresh child process exactly as the worker does it
(`reports.services.report_run_generate`: selectors → template → WeasyPrint →
atomic write). That process is a fresh exec of the small entry point
`bench.peak`, which reads its own peak resident memory from the kernel
(VmHWM), so the figure is the report's own whatever the parent holds; it is
printed next to the same measurement of an empty report (the fixed cost of
Python, Django and WeasyPrint). `--outside` also runs each child under
`/usr/bin/time -v` and prints GNU time's figure beside it.

The previous run's data are deleted with SQL (TRUNCATE), never loaded into
this process.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from decimal import Decimal

from bench import peak

DB_NAME = os.environ.get("POKJA_BENCH_REPORTS_DB", "pokja_bench_reports")


def _environment() -> None:
    from bench import db

    # The test settings (PostgreSQL, media under var/test-media/<name>) on the bench's own database.
    os.environ["POKJA_TEST_DB"] = DB_NAME
    os.environ["DATABASE_URL"] = db.url(DB_NAME)
    os.environ.setdefault("POKJA_TEST_REDIS_DB", "9")
    os.environ["DJANGO_SETTINGS_MODULE"] = "pokja_portal.settings.test"


def _previous_month() -> str:
    from datetime import date

    today = date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _one_upk() -> dict:
    """The Laporan Bulanan UPK of the first UPK with books, last month (one UPK's package: its size does not
    grow with the province, but it runs on the province's tables)."""
    from bkm.models import Unit, UnitType

    upk = Unit.objects.filter(unit_type=UnitType.UPK, upk_settings__isnull=False).order_by("pk").first()
    assert upk is not None, "no UPK with books"
    return {"upk": upk.pk, "period": _previous_month()}


REPORTS: dict[str, dict | Callable[[], dict]] = {
    "kolaborasi": {},
    "profil_bkm": {},
    "kinerja_upk_kota": {"period": _previous_month()},
    "bulanan_upk": _one_upk,
    # Read as the person who asked (the forum's permission filter): only with --user (a staff member).
    "rekap_forum": {},
}
NEEDS_USER = {"rekap_forum"}
# The sanity baseline: a report with nothing in it (no proposal is dated 2000).
EMPTY_REPORT = ("kolaborasi", {"year": 2000})
UPK_REPORTS = {"kinerja_upk_kota", "bulanan_upk"}


def _setup(create: bool) -> None:
    """Django on the bench database; `create`: create and migrate it first (kept between runs)."""
    import django

    from bench import db

    if create:
        db.ensure_database(DB_NAME)
    django.setup()
    if create:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def clear() -> None:
    """Delete the previous run's registry, books and report runs with SQL (TRUNCATE … CASCADE), so
    nothing of it is loaded into this process. The reference data (kecamatan, kelurahan, OPD,
    assessment aspects) stay; users and what hangs on them go with the BKMs they belong to."""
    from django.apps import apps
    from django.db import connection

    models = [*apps.get_app_config("upk").get_models(), *apps.get_app_config("reports").get_models()]
    tables = [m._meta.db_table for m in models] + ["bkm_bkm"]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")  # noqa: S608 - table names from the models


def generate_books(units: list, *, checked: bool = False) -> int:
    """Books for every UPK unit: settings, chart of accounts and 200 loans each (bulk SQL of bench.upk_bench)."""
    from datetime import date

    from bench.upk_bench import LOANS_PER_UPK
    from bench.upk_bench import generate as generate_loans
    from core.models import User
    from upk.ledger.chart import DEFAULT_CHART
    from upk.models import Account, UpkSettings

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
        generate_loans(units[start : start + batch], start * LOANS_PER_UPK, user.pk, date.today(), checked=checked)
    return len(units) * LOANS_PER_UPK


def add_bkms(size: int, rng) -> list:
    """`size` more BKMs, one per kelurahan that has none yet (synthetic kecamatan/kelurahan beyond the city's
    30 when needed), each with its five units and three collaboration proposals."""
    from django.db import transaction

    from bkm.models import BKM, OPD, FundingSource, Kecamatan, Kelurahan, Proposal, ProposalStatus, Unit, UnitType

    with transaction.atomic():
        free = list(Kelurahan.objects.filter(bkms__isnull=True).order_by("id"))
        missing = size - len(free)
        if missing > 0:
            per_kec = 50
            done = Kecamatan.objects.filter(code__startswith="BENCH.").count()
            for k in range(done, done + (missing + per_kec - 1) // per_kec):
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
            free = list(Kelurahan.objects.filter(bkms__isnull=True).order_by("id"))
        first = BKM.objects.count()
        bkms = BKM.objects.bulk_create(
            [
                BKM(
                    name=f"BKM Bench {i:04d}",
                    kelurahan=kel,
                    address=f"Jl. Bench No. {i}",
                    phone="0812000000",
                    akta_number=f"AKTA-{i}" if i % 3 else "",
                )
                for i, kel in enumerate(free[:size], start=first)
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
    return bkms


def generate(size: int, *, with_books: bool = False, checked: bool = False) -> dict[str, int]:
    """Replace the registry with `size` BKMs (and their units and proposals; books for the UPKs).
    `checked`: see `bench.upk_bench.generate`."""
    import random

    from django.db import connection

    from bkm.models import Unit, UnitType

    clear()
    bkms = add_bkms(size, random.Random(size))
    loans = 0
    if with_books:
        upk_units = list(Unit.objects.filter(unit_type=UnitType.UPK).select_related("bkm").order_by("pk"))
        loans = generate_books(upk_units, checked=checked)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"bkm": len(bkms), "proposals": 3 * len(bkms), "loans": loans}


def _counts() -> dict[str, int]:
    from bkm.models import BKM, Proposal
    from upk.models import Loan

    return {"bkm": BKM.objects.count(), "proposals": Proposal.objects.count(), "loans": Loan.objects.count()}


def existing(size: int, *, with_books: bool) -> dict[str, int] | None:
    """The counts of the data a previous run left, if it has `size` BKMs (and their books when needed)."""
    from bench.upk_bench import LOANS_PER_UPK
    from bkm.models import BKM, Proposal
    from upk.models import Loan

    bkms, loans = BKM.objects.count(), Loan.objects.count()
    if bkms != size or (with_books and loans != size * LOANS_PER_UPK):
        return None
    return {"bkm": bkms, "proposals": Proposal.objects.count(), "loans": loans}


def _params(report_type: str) -> dict:
    params = REPORTS[report_type]
    return params() if callable(params) else params


def measure(report_type: str, params: str = "", username: str = "") -> dict[str, float]:
    """Produce one report in this process (as `username` when given); returns seconds, pages and size.
    Run by `bench.peak` in a process of its own (`measure_child`), which adds the process's peak memory."""
    from django.core.files.storage import default_storage
    from django.test import override_settings
    from pypdf import PdfReader

    from core.models import User
    from reports.models import ReportRun, RunStatus
    from reports.services import report_run_create, report_run_generate

    user = User.objects.get(username=username) if username else None
    # The bench measures the whole province's Profil book too, which the form refuses above this limit.
    with override_settings(REPORTS_PROFIL_BOOK_MAX_BKMS=None):
        run = report_run_create(
            user=user, report_type=report_type, params=json.loads(params) if params else _params(report_type)
        )
    if user is not None:
        ReportRun.objects.filter(pk=run.pk).update(requested_by=user)
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    run.refresh_from_db()
    start = time.perf_counter()
    report_run_generate(run=run)
    elapsed = time.perf_counter() - start
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error if hasattr(run, "error") else run.status
    pages = len(PdfReader(default_storage.path(run.pdf.name)).pages)
    return {"seconds": round(elapsed, 2), "pages": pages, "bytes": run.pdf_size or 0}


def measure_child(report_type: str, params: str = "", username: str = "") -> dict[str, float]:
    """The measuring entry point: `python -m bench.peak bench.reports_bench:measure_child TYPE [PARAMS [USER]]`."""
    _environment()
    _setup(create=False)
    return measure(report_type, params, username)


def measure_fresh(
    report_type: str, params: dict | None = None, *, outside: bool = False, username: str = ""
) -> dict[str, float]:
    """`measure` in a fresh process (see bench.peak): adds `peak_mib` (and `outside_mib`)."""
    args = [json.dumps(params) if params is not None else "", username]
    return peak.run("bench.reports_bench:measure_child", report_type, *args, outside=outside)


def main() -> None:
    _environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 1000])
    parser.add_argument("--reports", nargs="+", choices=list(REPORTS), help="default: all (no Profil book above 100)")
    parser.add_argument(
        "--outside", action="store_true", help="also measure each report with /usr/bin/time -v (GNU time)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of the previous run when it has the same size"
    )
    parser.add_argument("--user", default="", help="produce the reports as this user (needed by rekap_forum)")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="measure on the database as it is (POKJA_BENCH_REPORTS_DB, e.g. a pages bench database): "
        "generate and delete nothing",
    )
    args = parser.parse_args()
    _setup(create=not args.existing)
    outside = args.outside and os.path.exists("/usr/bin/time")
    header = (
        f"{'report':<17} {'BKMs/UPKs':>9} {'proposals':>9} {'loans':>8} {'pages':>6} {'PDF KiB':>8} "
        f"{'time s':>8} {'peak MiB':>9} {'empty MiB':>9}"
    )
    print(header + (f" {'GNU time MiB':>12} {'differs':>7}" if outside else ""))
    for size in args.sizes:
        t = time.perf_counter()
        # A province-sized Profil book needs several GB (see docs/performance.md): only when asked for.
        reports = args.reports or [
            r for r in REPORTS if (r != "profil_bkm" or size <= 100) and (r not in NEEDS_USER or args.user)
        ]
        with_books = bool(UPK_REPORTS & set(reports))
        counts = existing(size, with_books=with_books) if args.reuse else None
        if args.existing:
            counts = _counts()
            print(f"# measuring on {DB_NAME} as it is", flush=True)
        elif counts is None:
            counts = generate(size, with_books=with_books)
            print(f"# generated {size} BKMs in {time.perf_counter() - t:.0f} s", flush=True)
        else:
            print(f"# reusing the previous run's {size} BKMs", flush=True)
        empty = measure_fresh(EMPTY_REPORT[0], EMPTY_REPORT[1], outside=outside)
        for report_type in reports:
            r = measure_fresh(report_type, _params(report_type), outside=outside, username=args.user)
            line = (
                f"{report_type:<17} {counts['bkm']:>9} {counts['proposals']:>9} {counts['loans']:>8} {r['pages']:>6} "
                f"{r['bytes'] / 1024:>8.0f} {r['seconds']:>8.2f} {r['peak_mib']:>9.0f} {empty['peak_mib']:>9.0f}"
            )
            if outside and "outside_mib" in r:
                line += f" {r['outside_mib']:>12.0f} {(r['peak_mib'] / r['outside_mib'] - 1) * 100:>+6.1f}%"
            print(line, flush=True)


if __name__ == "__main__":
    main()
