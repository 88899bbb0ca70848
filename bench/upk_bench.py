"""UPK ledger benchmark: `python -m bench.upk_bench` (or `make bench`).

Prints, on a dedicated PostgreSQL database (dropped, created and migrated by
this script; default `pokja_bench_upk`, override with POKJA_BENCH_UPK_DB and
POKJA_BENCH_PG_URL):

1. repayment postings per second — `services.repayments.repayment_record`, one process,
   each posting committed on its own, after warming the tables (preloaded
   postings + ANALYZE) — next to pgbench's TPC-B rate with one client, measured
   in the same run on the same server (`pgbench -i` into a scratch database,
   then `pgbench -c 1 -T 10`);
2. the time to post one 30-loan collection sheet (`collection_sheet_post`) and
   to read it (`due_list`);
3. the time to compute every indicator and the kolektibilitas as of a date
   (`selectors.portfolio_summary_many`) for 30 UPKs and for 1,000 UPKs with
   200,000 loans. That portfolio is generated with set-based SQL straight into
   the real tables (schedules, instalments, repayments, allocations and
   balanced journal entries consistent with each other), not via the services.

4. importing one UPK's books — 200 KSM loans (3 members each) disbursed over
   two years, each repaid monthly for a year, so three years of repayments —
   through `upk.services.imports` (parse, validate, post in one transaction),
   with its postings (journal entries) per second.

Targets: postings/s ≥ 0.3 × pgbench one-client TPS (issue 11; issue 3 asked
½ of the SQL path), ≤ 100 ms per 30-loan sheet (issue 11; issue 3: 150 ms);
≤ 1 s for the indicators at 200k loans; the import ≤ 10 s (issue 11).

Every timed figure is measured several times (POKJA_BENCH_UPK_ROUNDS rounds of
postings, POKJA_BENCH_UPK_REPEATS runs of the indicators, N_SHEETS sheets) and
printed as min / median / max with the pgbench rate measured next to it; the
verdict is the median's, and a missed target is printed as "TARGET MISSED".
pgbench runs before and after the postings (the ratio is to the mean of the
two) and again before the 200k-loan indicators.

POKJA_BENCH_PHASES=1 also prints where a posting's time goes (after the
timed postings, on the same loans), and the floor: the same call sent by
bare psycopg with no Python work around it.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta

PG_URL = os.environ.get("POKJA_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("POKJA_BENCH_UPK_DB", "pokja_bench_upk")
PGBENCH_DB = DB_NAME + "_pgbench"
N_POSTINGS = int(os.environ.get("POKJA_BENCH_UPK_POSTINGS", "1500"))
# Each timed figure is measured this many times (postings: rounds of N_POSTINGS) and printed as min / median /
# max; the verdict is the median's (this machine's speed moves by a third from minute to minute).
ROUNDS = int(os.environ.get("POKJA_BENCH_UPK_ROUNDS", "3"))
REPEATS = int(os.environ.get("POKJA_BENCH_UPK_REPEATS", "5"))
N_POSTING_LOANS = 300
N_SHEETS = 5
LOANS_PER_UPK = 200
BIG_UPKS = int(os.environ.get("POKJA_BENCH_UPK_UPKS", "1000"))


def _admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    return f"/usr/lib/postgresql/15/bin/{name}"


def _conn_args() -> list[str]:
    m = re.match(r"postgres(?:ql)?://(?:(?P<user>[^:@/]+)(?::[^@]*)?@)?(?P<host>[^:/]+)(?::(?P<port>\d+))?", PG_URL)
    assert m, PG_URL
    args = ["-h", m["host"], "-p", m["port"] or "5432"]
    if m["user"]:
        args += ["-U", m["user"]]
    return args


def pgbench_tps() -> float:
    _admin_sql(f'DROP DATABASE IF EXISTS "{PGBENCH_DB}" WITH (FORCE)')
    _admin_sql(f'CREATE DATABASE "{PGBENCH_DB}"')
    pgbench = _pg_bin("pgbench")
    subprocess.run([pgbench, *_conn_args(), "-i", "-q", PGBENCH_DB], check=True, capture_output=True)
    out = subprocess.run(
        [pgbench, *_conn_args(), "-c", "1", "-T", "10", PGBENCH_DB], check=True, capture_output=True, text=True
    ).stdout
    _admin_sql(f'DROP DATABASE IF EXISTS "{PGBENCH_DB}" WITH (FORCE)')
    match = re.search(r"tps = ([0-9.]+)", out)
    return float(match.group(1)) if match else 0.0


def setup_django() -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    _admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    os.environ["DATABASE_URL"] = f"{PG_URL}/{DB_NAME}"
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ["DEBUG"] = "False"
    os.environ["SECURE_COOKIES"] = "False"
    os.environ["DJANGO_SETTINGS_MODULE"] = "pokja_portal.settings.base"
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- Service-level fixtures ---------------------------------------------------------------------


def _bench_upk(upk, manager):
    """Bench rules: one-member KSMs are enough, no savings history needed."""
    from upk import services
    from upk.models import UpkSettings

    services.settings.upk_setup(upk=upk)
    UpkSettings.objects.filter(upk=upk).update(
        min_members=1, min_savings_months=0, ceiling_first_loan=10_000_000, ceiling_repeat_loan=10_000_000
    )
    services.cash.capital_receive(
        upk=upk,
        account=upk.accounts.get(role="capital_kotaku"),
        amount=5_000_000_000,
        date=date.today() - timedelta(days=400),
        description="Modal bench",
        actor=manager,
        idempotency_key=f"bench-cap-{upk.pk}",
    )
    return services.registry.product_create(upk=upk, name="Bench", actor=manager)


def _service_loans(upk, manager, product, n: int, *, disbursed: date, first_due: date | None = None, prefix: str = "S"):
    from upk import services

    kel = upk.bkm.kelurahan
    loans = []
    for i in range(n):
        ksm = services.registry.ksm_create(
            upk=upk,
            code=f"{prefix}{i}",
            name=f"KSM bench {prefix}{i}",
            kelurahan=kel,
            formed_on=disbursed,
            actor=manager,
        )
        member = services.registry.ksm_member_add(
            ksm=ksm, nik=f"6271{i:012d}", name=f"Anggota {i}", gender="P", actor=manager
        )
        app = services.loans.loan_apply(
            ksm=ksm,
            product=product,
            applied_on=disbursed,
            member_amounts={member: 5_000_000},
            term_months=12,
            actor=manager,
        )
        services.loans.loan_decide(loan=app.loan, approve=True, decided_on=disbursed, actor=manager)
        loans.append(
            services.loans.loan_disburse(
                loan=app.loan, disbursed_on=disbursed, actor=manager, via="bank", first_due_date=first_due
            )
        )
    return loans


def bench_postings(upk, manager) -> list[float]:
    """Postings per second, one figure per round of N_POSTINGS."""
    from upk import services

    product = _bench_upk(upk, manager)
    today = date.today()
    loans = _service_loans(upk, manager, product, N_POSTING_LOANS, disbursed=today - timedelta(days=200))
    # Warm-up: preload one posting per loan, then ANALYZE (plans made on empty tables are far slower).
    for loan in loans:
        services.repayments.repayment_record(
            loan=loan, amount=20_000, paid_on=today - timedelta(days=1), actor=manager, idempotency_key=uuid.uuid4().hex
        )
    _analyze()
    rates = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for i in range(N_POSTINGS):
            services.repayments.repayment_record(
                loan=loans[i % len(loans)],
                amount=20_000,
                paid_on=today,
                actor=manager,
                idempotency_key=uuid.uuid4().hex,
            )
        rates.append(N_POSTINGS / (time.perf_counter() - start))
    if os.environ.get("POKJA_BENCH_PHASES"):
        print_posting_phases(loans, manager, today)
    return rates


IMPORT_LOANS = 200
IMPORT_MEMBERS = 3


def import_books_csv(kelurahan: str, start: date) -> tuple[bytes, int]:
    """One UPK's books as the import's CSV (first column: the sheet): IMPORT_LOANS
    KSMs with one 12-month loan each, disbursed every ~3.65 days over two years from
    `start`, each repaid on its 12 due dates (no late fee). Returns (file, repayments)."""
    lines = ["lembar;" + ";".join(["kode_akun", "tanggal", "jumlah", "kas_bank", "uraian"])]
    lines.append(f"Saldo Awal;31010;{start - timedelta(days=1)};{IMPORT_LOANS * 3_000_000};kas;Modal BLM")
    payments = 0
    for i in range(IMPORT_LOANS):
        code = f"KSM-{i:03d}"
        disbursed = start + timedelta(days=i * 730 // IMPORT_LOANS)
        disbursed = disbursed.replace(day=min(disbursed.day, 28))  # every due date on the same day
        lines.append(f"KSM;{code};KSM impor {i};{kelurahan};001;{start - timedelta(days=30)}")
        for m in range(IMPORT_MEMBERS):
            nik = f"6271{i:06d}{m:06d}"
            lines.append(f"Anggota;{code};{nik};Anggota {i}-{m};{'P' if m else 'L'};Jl. Bench {i};Warung;ya")
            lines.append(f"Pinjaman;PJ-{i:03d};{code};{disbursed};{disbursed};12;{nik};1000000;kas;1,5;flat;")
        # 3,000,000 flat 1.5%/month over 12 months: pokok 250,000 + jasa 45,000 on each due date.
        for n in range(1, 13):
            y, mo = divmod(disbursed.month - 1 + n, 12)
            due = disbursed.replace(year=disbursed.year + y, month=mo + 1)
            lines.append(f"Pembayaran;PJ-{i:03d};{due};295000;kas")
            payments += 1
    return ("\n".join(lines) + "\n").encode(), payments


def bench_import(upk, manager) -> tuple[float, int, int]:
    """Seconds to import the books (parse + validate + post), journal entries posted, repayments."""
    from upk.models import JournalEntry, Repayment
    from upk.services import imports

    today = date.today()
    start = date(today.year - 3, 1, 5)
    data, n_payments = import_books_csv(upk.bkm.kelurahan.name, start)
    begin = time.perf_counter()
    parsed = imports.parse(data, "buku.csv")
    plan, errors = imports.validate(parsed, upk)
    if not errors:
        _counts, errors = imports.post(plan, upk=upk, actor=manager, key_prefix="bench-impor")
    seconds = time.perf_counter() - begin
    if errors:
        raise SystemExit(f"import refused: {errors[:5]}")
    entries = JournalEntry.objects.filter(upk=upk).count()
    assert Repayment.objects.filter(loan__upk=upk).count() == n_payments
    return seconds, entries, n_payments


def print_posting_phases(loans, manager, today: date, n: int = 900) -> None:
    """Where a posting's time goes: wall time inside each phase of
    `repayment_record`, per posting (timers wrapped around the functions for
    this run only; the loop itself is the bench's)."""
    import resource

    from upk import services

    spent: dict[str, float] = {}
    originals = []

    def timed(owner, name: str, label: str) -> None:
        fn = getattr(owner, name)
        originals.append((owner, name, fn))
        spent[label] = 0.0

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start

        setattr(owner, name, wrapper)

    from upk.ledger import repayments, writes

    # The names the services and the ledger core call (patched where they are looked up).
    timed(services, "lock_loans_and_books", "lock + book read (one round trip)")
    timed(repayments, "plan_replay", "allocation plan (Python)")
    timed(writes, "ledger_insert", "bulk write (one statement)")
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    try:
        for i in range(n):
            services.repayments.repayment_record(
                loan=loans[i % len(loans)], amount=1_000, paid_on=today, actor=manager, idempotency_key=uuid.uuid4().hex
            )
    finally:
        for owner, name, fn in originals:
            setattr(owner, name, fn)
    total = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    python_cpu = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    print(f"  posting phases over {n} more postings (ms per posting):", flush=True)
    for label, seconds in spent.items():
        print(f"    {label:44} {seconds / n * 1000:6.3f}")
    print(f"    {'total (timers included)':44} {total / n * 1000:6.3f}; Python CPU {python_cpu / n * 1000:.3f}")


def bench_sheet(upk, manager) -> tuple[list[float], list[float]]:
    from upk import selectors, services

    product = _bench_upk(upk, manager)
    today = date.today()
    sets = []
    for s in range(N_SHEETS):
        # Each sheet gets 30 loans of its own, first instalment due today.
        disbursed = today - timedelta(days=30 + s)
        loans = _service_loans(upk, manager, product, 30, disbursed=disbursed, first_due=today, prefix=f"C{s}-")
        sets.append(loans)
    _analyze()
    post_times, read_times = [], []
    for loans in sets:
        start = time.perf_counter()
        rows = selectors.due_list(upk=upk, on=today)
        read_times.append(time.perf_counter() - start)
        by_loan = {r.loan.pk: r.expected for r in rows}
        payments = [{"loan": loan.pk, "amount": by_loan[loan.pk]} for loan in loans]
        start = time.perf_counter()
        sheet = services.repayments.collection_sheet_post(
            upk=upk, date=today, payments=payments, actor=manager, idempotency_key=uuid.uuid4().hex
        )
        post_times.append(time.perf_counter() - start)
        assert sheet.repayments.count() == 30
    return post_times, read_times


# --- Bulk portfolio --------------------------------------------------------------------------------


def make_upks(n: int, offset: int):
    """`n` extra UPK units (inactive BKMs, so the one-active-BKM-per-kelurahan rule holds)."""
    from bkm.models import BKM, Kelurahan, Unit
    from upk.ledger.chart import DEFAULT_CHART
    from upk.models import Account, UpkSettings

    kels = list(Kelurahan.objects.order_by("pk"))
    bkms = BKM.objects.bulk_create(
        [BKM(name=f"BKM bench {offset + i}", kelurahan=kels[i % len(kels)], status="tidak_aktif") for i in range(n)]
    )
    units = Unit.objects.bulk_create([Unit(bkm=b, unit_type="upk", name=f"UPK bench {b.pk}") for b in bkms])
    UpkSettings.objects.bulk_create([UpkSettings(upk=u) for u in units])
    Account.objects.bulk_create(
        [
            Account(upk=u, code=code, name=name, kind=kind, is_contra=contra, role=role)
            for u in units
            for code, name, kind, contra, role in DEFAULT_CHART
        ]
    )
    return units


GENERATE_SQL = """
-- One loan per KSM, as `loan_disburse` leaves it: first instalment a month after the disbursement, the
-- schedule's amounts (%(pokok)s, %(jasa)s) from engine.build_schedule; paid_k instalments paid by one repayment
-- dated on the last of them (a loan whose 12 are paid is paid off on that day).
CREATE TEMP TABLE g_loan ON COMMIT DROP AS
SELECT s AS seq,
       (%(upks)s::bigint[])[1 + s / %(per)s] AS upk_id,
       (%(as_of)s::date - ((s * 37) %% 360 + 20))::date AS disbursed,
       CASE s %% 20 WHEN 16 THEN 1 WHEN 17 THEN 2 WHEN 18 THEN 4 WHEN 19 THEN 10 ELSE 0 END AS arrears,
       NULL::date AS first_due, NULL::date AS paid_on,
       0::bigint AS ksm_id, 0::bigint AS loan_id, 0::bigint AS product_id, 0::int AS n_due, 0::int AS paid_k
  FROM generate_series(%(first)s, %(first)s + %(n)s - 1) s;
UPDATE g_loan SET first_due = (disbursed + interval '1 month')::date;
UPDATE g_loan g SET n_due = (SELECT count(*) FROM generate_series(1, %(term)s) i
                              WHERE (g.first_due + (i - 1) * interval '1 month')::date <= %(as_of)s::date);
UPDATE g_loan SET paid_k = GREATEST(n_due - arrears, 0);
UPDATE g_loan SET paid_on = (first_due + (paid_k - 1) * interval '1 month')::date WHERE paid_k > 0;
UPDATE g_loan g SET product_id = p.id FROM upk_loanproduct p WHERE p.upk_id = g.upk_id;
CREATE INDEX ON g_loan (upk_id, seq);
ANALYZE g_loan;
CREATE TEMP TABLE g_acc ON COMMIT DROP AS
SELECT upk_id, MAX(id) FILTER (WHERE role = 'loans') AS loans, MAX(id) FILTER (WHERE role = 'bank') AS bank,
       MAX(id) FILTER (WHERE role = 'kas') AS kas, MAX(id) FILTER (WHERE role = 'jasa_income') AS jasa,
       MAX(id) FILTER (WHERE role = 'capital_kotaku') AS capital
  FROM upk_account WHERE upk_id = ANY(%(upks)s::bigint[]) GROUP BY upk_id;
-- Each member's share of an instalment (engine.split_members, the same for every loan): number, member, amounts.
CREATE TEMP TABLE g_share ON COMMIT DROP AS
SELECT * FROM unnest(%(share_number)s::int[], %(share_member)s::int[], %(share_pokok)s::bigint[],
                     %(share_jasa)s::bigint[]) AS t(number, member, pokok, jasa);

INSERT INTO upk_ksm (code, name, rt, formed_on, joint_liability_doc, is_active, created_at, kelurahan_id, upk_id,
                     chair_name, chair_phone)
SELECT 'B-' || seq, 'KSM bench ' || seq, '', disbursed - 200, '', true, now(), %(kel)s, upk_id, '', '' FROM g_loan;
UPDATE g_loan g SET ksm_id = k.id FROM upk_ksm k WHERE k.upk_id = g.upk_id AND k.code = 'B-' || g.seq;
INSERT INTO upk_ksmmember (nik, name, gender, address, is_poor, business, is_active, ksm_id)
SELECT '6271' || lpad((g.seq * %(members)s + m)::text, 12, '0'), 'Anggota ' || g.seq || '-' || m,
       CASE WHEN m %% 2 = 0 THEN 'P' ELSE 'L' END, '', true, '', true, g.ksm_id
  FROM g_loan g CROSS JOIN generate_series(0, %(members)s - 1) m;

INSERT INTO upk_loan (number, cycle, status, applied_on, principal, term_months, frequency, jasa_rate, jasa_method,
                      bop_rate, rounding_unit, late_fee_amount, late_fee_grace_days, purpose, warnings, decided_on,
                      disbursed_on, disbursed_via, first_due_date, closed_on, created_at, created_by_id, ksm_id, upk_id,
                      product_id)
SELECT 'PB-' || seq, 1, CASE WHEN paid_k = %(term)s THEN 'paid_off' ELSE 'active' END, disbursed, %(principal)s,
       %(term)s, 'monthly', %(rate)s, 'flat', 0, %(unit)s, 0, 0, '', '[]'::jsonb, disbursed, disbursed, 'bank',
       first_due, CASE WHEN paid_k = %(term)s THEN paid_on END, now(), %(user)s, ksm_id, upk_id, product_id
  FROM g_loan;
UPDATE g_loan g SET loan_id = l.id FROM upk_loan l WHERE l.upk_id = g.upk_id AND l.number = 'PB-' || g.seq;
INSERT INTO upk_loanmember (amount, loan_id, member_id)
SELECT %(member_amount)s, g.loan_id, m.id FROM g_loan g JOIN upk_ksmmember m ON m.ksm_id = g.ksm_id ORDER BY g.seq, m.id;
INSERT INTO upk_loanstatusevent (from_status, to_status, on_date, actor_id, at, reason, loan_id)
SELECT e.from_status, e.to_status, CASE WHEN e.to_status = 'paid_off' THEN g.paid_on ELSE g.disbursed END,
       %(user)s, now(), e.reason, g.loan_id
  FROM g_loan g
  CROSS JOIN (VALUES (1, '', 'applied', ''), (2, 'applied', 'approved', ''), (3, 'approved', 'active', ''),
                     (4, 'active', 'paid_off', 'Lunas')) e(step, from_status, to_status, reason)
 WHERE e.step < 4 OR g.paid_k = %(term)s
 ORDER BY g.seq, e.step;

INSERT INTO upk_schedule (version, effective_from, principal, reason, created_at, loan_id)
SELECT 1, disbursed, %(principal)s, 'Pencairan', now(), loan_id FROM g_loan;

INSERT INTO upk_instalment (number, due_date, pokok, jasa, bop, total, paid_pokok, paid_jasa, paid_bop, paid_denda,
                            upk_id, loan_id, schedule_id)
SELECT i, (g.first_due + (i - 1) * interval '1 month')::date,
       (%(pokok)s::bigint[])[i], (%(jasa)s::bigint[])[i], 0, (%(pokok)s::bigint[])[i] + (%(jasa)s::bigint[])[i],
       CASE WHEN i <= g.paid_k THEN (%(pokok)s::bigint[])[i] ELSE 0 END,
       CASE WHEN i <= g.paid_k THEN (%(jasa)s::bigint[])[i] ELSE 0 END, 0, 0, g.upk_id, g.loan_id, s.id
  FROM g_loan g JOIN upk_schedule s ON s.loan_id = g.loan_id CROSS JOIN generate_series(1, %(term)s) i;
INSERT INTO upk_memberinstalment (pokok, jasa, bop, instalment_id, loan_member_id)
SELECT sh.pokok, sh.jasa, 0, i.id, lm.id
  FROM g_loan g
  JOIN upk_instalment i ON i.loan_id = g.loan_id
  JOIN (SELECT id, loan_id, row_number() OVER (PARTITION BY loan_id ORDER BY id) - 1 AS member
          FROM upk_loanmember WHERE loan_id IN (SELECT loan_id FROM g_loan)) lm ON lm.loan_id = g.loan_id
  JOIN g_share sh ON sh.number = i.number AND sh.member = lm.member;

-- Journal: disbursement (seq*3+1) and one repayment per loan covering its paid instalments (seq*3+2).
INSERT INTO upk_journalentry (number, date, kind, description, created_at, created_by_id, upk_id)
SELECT seq * 3 + 1, disbursed, 'disbursement', 'Pencairan PB-' || seq, now(), %(user)s, upk_id FROM g_loan;
INSERT INTO upk_journalentry (number, date, kind, description, idempotency_key, created_at, created_by_id, upk_id)
SELECT seq * 3 + 2, paid_on, 'repayment', 'Angsuran PB-' || seq,
       'bench-' || seq, now(), %(user)s, upk_id FROM g_loan WHERE paid_k > 0;
INSERT INTO upk_journalline (date, debit, credit, memo, account_id, entry_id, upk_id, loan_id)
SELECT e.date, %(principal)s, 0, '', a.loans, e.id, g.upk_id, g.loan_id
  FROM g_loan g JOIN upk_journalentry e ON e.upk_id = g.upk_id AND e.number = g.seq * 3 + 1 JOIN g_acc a ON a.upk_id = g.upk_id
UNION ALL
SELECT e.date, 0, %(principal)s, '', a.bank, e.id, g.upk_id, g.loan_id
  FROM g_loan g JOIN upk_journalentry e ON e.upk_id = g.upk_id AND e.number = g.seq * 3 + 1 JOIN g_acc a ON a.upk_id = g.upk_id;
CREATE TEMP TABLE g_paid ON COMMIT DROP AS
SELECT g.seq, g.upk_id, g.loan_id, SUM(i.paid_pokok) AS pokok, SUM(i.paid_jasa) AS jasa
  FROM g_loan g JOIN upk_instalment i ON i.loan_id = g.loan_id WHERE g.paid_k > 0 GROUP BY g.seq, g.upk_id, g.loan_id;
INSERT INTO upk_journalline (date, debit, credit, memo, account_id, entry_id, upk_id, loan_id)
SELECT e.date, p.pokok + p.jasa, 0, '', a.kas, e.id, p.upk_id, p.loan_id
  FROM g_paid p JOIN upk_journalentry e ON e.upk_id = p.upk_id AND e.number = p.seq * 3 + 2 JOIN g_acc a ON a.upk_id = p.upk_id
UNION ALL
SELECT e.date, 0, p.pokok, 'Pokok', a.loans, e.id, p.upk_id, p.loan_id
  FROM g_paid p JOIN upk_journalentry e ON e.upk_id = p.upk_id AND e.number = p.seq * 3 + 2 JOIN g_acc a ON a.upk_id = p.upk_id
UNION ALL
SELECT e.date, 0, p.jasa, 'Jasa', a.jasa, e.id, p.upk_id, NULL
  FROM g_paid p JOIN upk_journalentry e ON e.upk_id = p.upk_id AND e.number = p.seq * 3 + 2 JOIN g_acc a ON a.upk_id = p.upk_id;
INSERT INTO upk_repayment (receipt_number, paid_on, amount, channel, idempotency_key, is_reversed, created_at,
                           created_by_id, journal_entry_id, loan_id, upk_id)
SELECT 'KB-' || p.seq, e.date, p.pokok + p.jasa, 'kas', 'bench-' || p.seq, false, now(), %(user)s, e.id, p.loan_id, p.upk_id
  FROM g_paid p JOIN upk_journalentry e ON e.upk_id = p.upk_id AND e.number = p.seq * 3 + 2;
INSERT INTO upk_allocation (component, amount, effective_from, upk_id, instalment_id, loan_id, repayment_id,
                            due_date, settles, schedule_id)
SELECT c.component, CASE c.component WHEN 'pokok' THEN i.paid_pokok ELSE i.paid_jasa END, r.paid_on,
       i.upk_id, i.id, i.loan_id, r.id,
       i.due_date, c.component = 'pokok', i.schedule_id  -- pokok is allocated last, so it settles the instalment
  FROM upk_repayment r JOIN g_paid p ON p.loan_id = r.loan_id
  JOIN upk_instalment i ON i.loan_id = r.loan_id AND i.paid_pokok > 0
  CROSS JOIN (VALUES ('pokok'), ('jasa')) c(component);
-- Each loan's current state (upk/states.py), as the services would have kept it: valid from its
-- repayment (or disbursement); prefix sums over its instalments in order.
INSERT INTO upk_loanstate (loan_id, upk_id, ksm_id, valid_from, principal, pokok_all, written_off_on, schedule_from,
                           shared_ksm, due_dates, cum_due, cum_pokok, cum_nonzero, cum_paid, cum_arrears_pokok, cum_unsettled)
SELECT g.loan_id, g.upk_id, g.ksm_id,
       COALESCE(g.paid_on, g.disbursed), %(principal)s, SUM(c.paid_pokok), NULL, g.disbursed, false,  -- one loan per KSM
       array_agg(c.due_date ORDER BY c.number), array_agg(c.cum_due ORDER BY c.number),
       array_agg(c.cum_pokok ORDER BY c.number), array_agg(c.cum_nonzero ORDER BY c.number),
       array_agg(c.cum_paid ORDER BY c.number), array_agg(c.cum_arr ORDER BY c.number),
       array_agg(c.cum_unsettled ORDER BY c.number)
  FROM g_loan g
  JOIN (SELECT i.loan_id, i.number, i.due_date, i.paid_pokok,
               SUM(i.total) OVER w AS cum_due,
               SUM(i.pokok) OVER w AS cum_pokok,
               SUM(CASE WHEN i.total > 0 THEN 1 ELSE 0 END) OVER w AS cum_nonzero,
               SUM(i.paid_pokok + i.paid_jasa + i.paid_bop) OVER w AS cum_paid,
               SUM(i.pokok - i.paid_pokok) OVER w AS cum_arr,
               SUM(CASE WHEN i.total > i.paid_pokok + i.paid_jasa + i.paid_bop THEN 1 ELSE 0 END) OVER w AS cum_unsettled
          FROM upk_instalment i JOIN g_loan g2 ON g2.loan_id = i.loan_id
        WINDOW w AS (PARTITION BY i.loan_id ORDER BY i.number)) c ON c.loan_id = g.loan_id
 GROUP BY g.loan_id, g.upk_id, g.ksm_id, g.paid_on, g.disbursed;
"""

CAPITAL_SQL = """
INSERT INTO upk_journalentry (number, date, kind, description, created_at, created_by_id, upk_id)
SELECT 2000000000, %(as_of)s::date - 400, 'capital', 'Modal BLM KOTAKU', now(), %(user)s, a.upk_id
  FROM upk_account a WHERE a.role = 'capital_kotaku' AND a.upk_id = ANY(%(upks)s::bigint[]);
INSERT INTO upk_journalline (date, debit, credit, memo, account_id, entry_id, upk_id)
SELECT e.date, d.debit, d.credit, '', d.account_id, e.id, e.upk_id
  FROM upk_journalentry e
  JOIN LATERAL (SELECT id AS account_id, 1200000000 AS debit, 0 AS credit FROM upk_account WHERE upk_id = e.upk_id AND role = 'bank'
                UNION ALL
                SELECT id, 0, 1200000000 FROM upk_account WHERE upk_id = e.upk_id AND role = 'capital_kotaku') d ON true
 WHERE e.number = 2000000000 AND e.upk_id = ANY(%(upks)s::bigint[]);
INSERT INTO upk_counter (upk_id, name, value)
SELECT u, n, 2000000001 FROM unnest(%(upks)s::bigint[]) u CROSS JOIN (VALUES ('journal'), ('receipt'), ('loan')) c(n)
ON CONFLICT (upk_id, name) DO UPDATE SET value = EXCLUDED.value;
"""


# Every generated loan: the default product's terms, five members with equal shares (the default rules:
# at least five members, at most Rp 1.000.000 each on a first loan).
PRINCIPAL = 5_000_000
TERM_MONTHS = 12
MEMBERS = 5


def generated_terms():
    """The terms of every generated loan (the default product's), for engine.build_schedule."""
    from upk.ledger import engine
    from upk.models import LoanProduct

    product = LoanProduct()  # field defaults only
    assert product.frequency == "monthly" and product.bop_rate == 0, "GENERATE_SQL writes monthly loans without BOP"
    return engine.Terms(
        principal=PRINCIPAL,
        term_months=TERM_MONTHS,
        jasa_rate=product.jasa_rate,
        jasa_method=product.jasa_method,
        frequency=product.frequency,
        rounding_unit=product.rounding_unit,
    )


def generate(units, first_seq: int, user_id: int, as_of: date, *, checked: bool = False) -> None:
    """`LOANS_PER_UPK` disbursed loans for each unit, written with set-based SQL as the services would
    write them (KSM and members, loan and member shares, status history, schedule and member
    instalments, one repayment with its allocations, balanced journal entries, the per-loan state).
    Amounts come from the engine: the schedule from `engine.build_schedule`, the member split from
    `engine.split_members`; only the due dates are computed in SQL (a month apart, as `engine.add_months`).

    A bulk load skips the database's triggers and foreign-key checks (`session_replication_role =
    replica`; the rows are built consistent); `checked=True` keeps them, so the database checks every
    row as it checks the services' (tests/bench/test_generators.py)."""
    from django.db import connection, transaction

    from upk.ledger import engine
    from upk.models import LoanProduct

    terms = generated_terms()
    lines = engine.build_schedule(terms, as_of)  # amounts do not depend on the dates
    assert all(line.bop == 0 for line in lines)
    shares = engine.split_members(lines, [PRINCIPAL // MEMBERS] * MEMBERS)
    LoanProduct.objects.bulk_create([LoanProduct(upk=u, name="Reguler") for u in units])
    upks = [u.pk for u in units]
    params = {
        "upks": upks,
        "per": LOANS_PER_UPK,
        "as_of": as_of,
        "first": first_seq,
        "n": len(upks) * LOANS_PER_UPK,
        "kel": units[0].bkm.kelurahan_id,
        "user": user_id,
        "principal": PRINCIPAL,
        "term": TERM_MONTHS,
        "rate": terms.jasa_rate,
        "unit": terms.rounding_unit,
        "members": MEMBERS,
        "member_amount": PRINCIPAL // MEMBERS,
        "pokok": [line.pokok for line in lines],
        "jasa": [line.jasa for line in lines],
        "share_number": [line.number for line in lines for _ in range(MEMBERS)],
        "share_member": [m for _ in lines for m in range(MEMBERS)],
        "share_pokok": [p for row in shares for p, _j, _b in row],
        "share_jasa": [j for row in shares for _p, j, _b in row],
    }
    # The loan seq → UPK mapping is relative to this batch.
    sql = GENERATE_SQL.replace("1 + s / %(per)s", "1 + (s - %(first)s) / %(per)s")
    with transaction.atomic(), connection.cursor() as cursor:
        if not checked:
            cursor.execute("SET LOCAL session_replication_role = replica")
        for statement in _statements(sql):
            cursor.execute(statement, params)
        for statement in _statements(CAPITAL_SQL):
            cursor.execute(statement, params)
    if not checked:
        # The triggers that invalidate stored portfolio figures were skipped too (upk/figures.py).
        from upk import figures

        figures.forget(upk_ids=upks)


def _statements(sql: str) -> list[str]:
    lines = [line.split("--")[0] if line.lstrip().startswith("--") else line for line in sql.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip()]


def time_summary(upk_ids: list[int], as_of: date, repeat: int = REPEATS) -> list[float]:
    """Seconds of each of `repeat` runs, after one warm-up run."""
    from upk import selectors

    selectors.portfolio_summary_many(upk_ids=upk_ids, as_of=as_of)  # warm caches and plans
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        selectors.portfolio_summary_many(upk_ids=upk_ids, as_of=as_of)
        times.append(time.perf_counter() - start)
    return times


def spread(values: list[float], fmt) -> str:
    """ "min … / median … / max …" of a figure measured several times."""
    return (
        f"min {fmt(min(values))} / median {fmt(statistics.median(values))} / max {fmt(max(values))} "
        f"({len(values)} runs)"
    )


def verdict(met: bool, missed: str) -> str:
    return "met" if met else f"TARGET MISSED: {missed}"


def time_figure(label: str, times: list[float], tps: float, target: float | None = None) -> float:
    """Print one timed figure (seconds) with its spread, the pgbench rate beside it and the median's verdict."""
    med = statistics.median(times)
    line = f"{label}: {spread(times, _ms)}; pgbench {tps:.0f} tps"
    if target is not None:
        line += f"; target ≤ {_ms(target)}: " + verdict(
            med <= target, f"the median is {_ms(med)}, {med / target:.2f}× the target"
        )
    print(line, flush=True)
    return med


def _stale(upk_ids: list[int], as_of: date) -> int:
    from upk.models import LoanState

    return LoanState.objects.filter(upk_id__in=upk_ids, valid_from__gt=as_of).count()


def explain_positions(upk_ids: list[int], as_of: date) -> str:
    """EXPLAIN ANALYZE of the queries behind the indicators (for the report)."""
    from django.db import connection, transaction

    from upk import selectors

    out = []
    with connection.execute_wrapper(_capture(out)):
        selectors.portfolio_summary_many(upk_ids=upk_ids, as_of=as_of)
    lines = []
    # Same session settings as portfolio_summary_many (jit off), else the plan shown is not the one timed.
    with transaction.atomic(), connection.cursor() as cursor:
        selectors._tune_aggregate(cursor)
        for sql, params, elapsed in out:
            if elapsed < 0.05:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
            plan = "\n".join(r[0] for r in cursor.fetchall())
            plan = re.sub(r"'\{[0-9,]{60,}\}'", "'{…UPK ids…}'", plan)
            lines.append(f"-- {elapsed * 1000:.0f} ms: {sql[:120].strip()}...\n{plan}")
    return "\n\n".join(lines)


def _capture(out: list):
    def wrapper(execute, sql, params, many, context):
        start = time.perf_counter()
        result = execute(sql, params, many, context)
        out.append((sql, params, time.perf_counter() - start))
        return result

    return wrapper


def main() -> None:
    t0 = time.perf_counter()
    setup_django()
    from bkm import demo as bkm_demo
    from core.models import User
    from upk.models import Loan

    bkms = bkm_demo.seed(rng=__import__("random").Random(1), scale="small")
    units = [b.units.get(unit_type="upk") for b in bkms]
    manager = User.objects.create(username="bench-manajer", role="upk_manager")
    manager.upk_units.set(units[:3])
    print(f"database {DB_NAME}: created and migrated in {time.perf_counter() - t0:.1f} s", flush=True)

    # pgbench runs before and after the postings: this VM's speed drifts by
    # a third from minute to minute, and the ratio is taken to their mean.
    tps_before = pgbench_tps()
    print(f"pgbench TPC-B, 1 client, 10 s:          {tps_before:8.0f} tps", flush=True)
    rates = bench_postings(units[0], manager)
    tps_after = pgbench_tps()
    tps = (tps_before + tps_after) / 2
    rate = statistics.median(rates)
    print(
        f"repayment postings (service, 1 process, rounds of {N_POSTINGS}): {spread(rates, lambda r: f'{r:.0f}/s')}; "
        f"pgbench {tps:.0f} tps (mean of {tps_before:.0f} before and {tps_after:.0f} after); median "
        f"{rate / tps * 100 if tps else 0:.0f}% of pgbench; target ≥ 30%: "
        + verdict(rate >= tps * 0.3, f"the median is {rate / tps * 100 if tps else 0:.0f}% of pgbench"),
        flush=True,
    )

    post_times, read_times = bench_sheet(units[1], manager)
    time_figure("30-loan collection sheet, post", post_times, tps_after, 0.100)
    time_figure("30-loan collection sheet, due_list read", read_times, tps_after)

    seconds, entries, n_payments = bench_import(units[2], manager)
    print(
        f"import of one UPK's books ({IMPORT_LOANS} loans × {IMPORT_MEMBERS} members, {n_payments} repayments over "
        f"3 years, {entries} journal entries): {seconds:.1f} s, {entries / seconds:.0f} postings/s; "
        f"pgbench {tps_after:.0f} tps; target ≤ 10 s: " + verdict(seconds <= 10, f"{seconds:.1f} s"),
        flush=True,
    )

    as_of = date.today()
    t = time.perf_counter()
    small = make_upks(30, 0)
    generate(small, 0, manager.pk, as_of)
    _analyze()
    print(f"generated 30 UPKs × {LOANS_PER_UPK} loans in {time.perf_counter() - t:.1f} s", flush=True)
    s30 = time_summary([u.pk for u in small], as_of)
    time_figure(f"indicators + kolektibilitas, 30 UPKs ({30 * LOANS_PER_UPK} loans)", s30, tps_after)

    t = time.perf_counter()
    rest = []
    batch = 100
    for start in range(30, BIG_UPKS, batch):
        units_batch = make_upks(min(batch, BIG_UPKS - start), start)
        generate(units_batch, start * LOANS_PER_UPK, manager.pk, as_of)
        rest.extend(units_batch)
    _analyze()
    all_ids = [u.pk for u in small + rest]
    n_loans = Loan.objects.filter(upk_id__in=all_ids).count()
    print(f"generated {len(all_ids)} UPKs, {n_loans} loans in {time.perf_counter() - t:.1f} s", flush=True)
    tps_big = pgbench_tps()
    big = time_figure(
        f"indicators + kolektibilitas, {len(all_ids)} UPKs ({n_loans} loans), as of today",
        time_summary(all_ids, as_of),
        tps_big,
        1.0,
    )
    # Loans changed after the date (here: paid within the last 40 days) read what was paid on it from the allocations.
    past = as_of - timedelta(days=40)
    time_figure(
        f"indicators + kolektibilitas, {len(all_ids)} UPKs, as of {past} (40 days ago; {_stale(all_ids, past)} loans "
        "changed since: paid side from the allocations)",
        time_summary(all_ids, past),
        tps_big,
        1.0,
    )
    if big > 1.0 or os.environ.get("POKJA_BENCH_EXPLAIN"):
        print("\nEXPLAIN ANALYZE of the slow queries:\n" + explain_positions(all_ids, as_of), flush=True)
    print(f"total bench time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
