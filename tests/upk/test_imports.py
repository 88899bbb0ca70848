"""Import of an existing UPK's books: all rows checked, all or nothing."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from upk import selectors, services
from upk.ledger.errors import LedgerError
from upk.models import KSM, ImportJob, JournalEntry, Loan, LoanProduct, Repayment
from upk.services.imports import SHEETS, run_job

from .factories import make_ksm


def _workbook(data: dict[str, list[list]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, columns in SHEETS.items():
        ws = wb.create_sheet(sheet)
        ws.append(columns)
        for row in data.get(sheet, []):
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _good_data(kel_name: str) -> dict[str, list[list]]:
    members = [
        [f"KSM-{k}", f"62710101019{k}{i:04d}", f"Anggota {k}{i}", "P" if i < 4 else "L", "Jl. Mawar", "Warung", "ya"]
        for k in (1, 2)
        for i in range(5)
    ]
    loans = [
        [f"LAMA-{k}", f"KSM-{k}", "01-03-2024", "05-03-2024", 10, f"62710101019{k}{i:04d}", 800_000, "kas"]
        for k in (1, 2)
        for i in range(5)
    ]
    return {
        "KSM": [
            ["KSM-1", "KSM Melati", kel_name, "003", "15-01-2023"],
            ["KSM-2", "KSM Mawar", kel_name, "004", "2023-02-01"],
        ],
        "Anggota": members,
        "Pinjaman": loans,
        "Pembayaran": [
            ["LAMA-1", "05-04-2024", 460_000, "kas"],
            ["LAMA-1", "05-05-2024", 460_000, "kas"],
            ["LAMA-2", "06-04-2024", 300_000, "bank"],
        ],
        "Saldo Awal": [["31010", "31-12-2023", 150_000_000, "bank", "Saldo modal P2KP"]],
        "Tabungan": [[f"KSM-{k}", f"10-{m:02d}-2023", "setor", 25_000] for k in (1, 2) for m in (11, 12)]
        + [[f"KSM-{k}", f"10-{m:02d}-2024", "setor", 25_000] for k in (1, 2) for m in (1, 2)],
    }


def _job(upk, manager, content: bytes, name: str = "buku.xlsx", dry_run: bool = False) -> ImportJob:
    job = ImportJob(upk=upk, created_by=manager, original_name=name, dry_run=dry_run)
    job.file.save(name, ContentFile(content), save=True)
    return job


def test_run_job_good_file_posts_everything_and_balances(upk, manager):
    job = run_job(_job(upk, manager, _workbook(_good_data(upk.bkm.kelurahan.name))).pk)
    assert job.status == ImportJob.DONE, job.errors
    assert job.summary == {"ksm": 2, "anggota": 10, "modal": 1, "tabungan": 8, "pinjaman": 2, "pembayaran": 3}
    assert KSM.objects.filter(upk=upk).count() == 2
    loans = Loan.objects.filter(upk=upk)
    assert loans.count() == 2
    assert {int(loan.principal) for loan in loans} == {4_000_000}
    assert Repayment.objects.filter(upk=upk).count() == 3
    tb = selectors.trial_balance(upk=upk, as_of=selectors.month_end(2024, 12))
    assert tb.balanced
    assert selectors.ledger_drift(upk=upk) == []
    kol = selectors.kolektibilitas(upk=upk, as_of=selectors.month_end(2024, 5))
    assert kol.outstanding == 8_000_000 - sum(
        int(a.amount) for r in Repayment.objects.filter(upk=upk) for a in r.allocations.filter(component="pokok")
    )


def test_run_job_bad_file_changes_nothing_and_names_every_bad_row(upk, manager):
    data = _good_data(upk.bkm.kelurahan.name)
    data["KSM"].append(["KSM-3", "", "Kelurahan Entah", "001", "32-01-2023"])  # row 4: nama, kelurahan, tanggal
    data["Anggota"][2][1] = "12345"  # row 4: NIK
    data["Anggota"][3][3] = "X"  # row 5: jenis kelamin
    data["Pinjaman"][1][6] = "-5"  # row 3: jumlah
    data["Pembayaran"].append(["LAMA-9", "05-04-2024", 100, "kas"])  # row 5: unknown loan
    data["Saldo Awal"].append(["11010", "31-12-2023", 10, "kas", "kas"])  # row 3: not a capital account
    entries = JournalEntry.objects.count()
    job = run_job(_job(upk, manager, _workbook(data)).pk)
    assert job.status == ImportJob.FAILED
    found = {(e["sheet"], e["row"], e["column"]) for e in job.errors}
    assert {
        ("KSM", 4, "nama"),
        ("KSM", 4, "kelurahan"),
        ("KSM", 4, "tanggal_bentuk"),
        ("Anggota", 4, "nik"),
        ("Anggota", 5, "jenis_kelamin"),
        ("Pinjaman", 3, "jumlah"),
        ("Pembayaran", 5, "nomor_pinjaman"),
        ("Saldo Awal", 3, "kode_akun"),
    } <= found
    assert all(e["message"] for e in job.errors)
    assert JournalEntry.objects.count() == entries
    assert not KSM.objects.filter(upk=upk).exists()


def test_run_job_service_refusal_rolls_back_everything(upk, manager):
    """Rows that pass the checks but that the services refuse (here: an
    overpayment, and a second loan for a KSM whose first is still running)
    reject the whole file, each refused row listed."""
    data = _good_data(upk.bkm.kelurahan.name)
    data["Pembayaran"].append(["LAMA-2", "06-05-2024", 99_000_000, "kas"])  # row 5
    data["Pinjaman"].append(["LAMA-3", "KSM-1", "01-06-2024", "05-06-2024", 10, "6271010101910000", 500_000, "kas"])
    job = run_job(_job(upk, manager, _workbook(data)).pk)
    assert job.status == ImportJob.FAILED
    sheets = {(e["sheet"], e["row"]) for e in job.errors}
    assert ("Pembayaran", 5) in sheets
    assert ("Pinjaman", 12) in sheets  # LAMA-3: KSM-1 still repays LAMA-1
    assert any("melebihi sisa kewajiban" in e["message"] for e in job.errors)
    assert any("masih memiliki pinjaman" in e["message"] for e in job.errors)
    assert not KSM.objects.filter(upk=upk).exists()
    assert not JournalEntry.objects.filter(upk=upk).exists()
    assert not Loan.objects.filter(upk=upk).exists()


def test_run_job_historical_loans_skip_todays_application_rules(client, upk, manager, staff):
    """Historical loans were decided under the rules of their time: no savings
    history, fewer members than today's minimum and amounts above today's
    ceiling are recorded; the same loan applied for on the screen is refused."""
    rules = services.settings.upk_rules_propose(
        upk=upk, actor=manager, reason="Aturan baru", min_members=6, ceiling_first_loan=500_000
    )
    services.settings.upk_rules_decide(version=rules, approve=True, actor=staff)
    data = _good_data(upk.bkm.kelurahan.name)
    data["Tabungan"] = []  # no savings at all: the 3-month rule would refuse both loans
    job = run_job(_job(upk, manager, _workbook(data)).pk)
    assert job.status == ImportJob.DONE, job.errors
    assert Loan.objects.filter(upk=upk).count() == 2
    for loan in Loan.objects.filter(upk=upk):
        assert "historis" in loan.status_events.get(to_status="applied").reason
    assert selectors.ledger_drift(upk=upk) == []

    # The same loan through the normal application screen keeps every rule
    # (those in force on the application date: the version approved above).
    ksm = make_ksm(upk, members=5, savings_from=None)
    product = LoanProduct.objects.get(upk=upk)
    client.force_login(manager)
    url = reverse("upk:loan_apply", args=[upk.pk])
    applied_on = timezone.localdate().isoformat()
    post = {"ksm": ksm.pk, "product": product.pk, "term_months": 10, "applied_on": applied_on}
    post.update({f"m_{m.pk}": "800000" for m in ksm.members.all()})
    response = client.post(url, post)
    assert response.status_code == 200
    body = response.content.decode()
    assert "menabung" in body
    assert "plafon" in body
    assert "sedikitnya 6 orang" in body
    assert not Loan.objects.filter(ksm=ksm).exists()
    with pytest.raises(LedgerError, match="menabung"):
        services.loans.loan_apply(
            ksm=ksm,
            product=product,
            applied_on=date(2024, 3, 1),
            member_amounts={m: 800_000 for m in ksm.members.all()},
            term_months=10,
            actor=manager,
        )


def test_run_job_loans_keep_their_own_jasa_rate_and_method(upk, manager):
    from decimal import Decimal

    data = _good_data(upk.bkm.kelurahan.name)
    for row in data["Pinjaman"]:
        if row[0] == "LAMA-1":
            row += ["1,2", "menurun"]
    job = run_job(_job(upk, manager, _workbook(data)).pk)
    assert job.status == ImportJob.DONE, job.errors
    own = Loan.objects.get(upk=upk, purpose__contains="LAMA-1")
    default = Loan.objects.get(upk=upk, purpose__contains="LAMA-2")
    product = LoanProduct.objects.get(upk=upk)
    assert (own.jasa_rate, own.jasa_method) == (Decimal("1.2"), "declining")
    assert (default.jasa_rate, default.jasa_method) == (product.jasa_rate, product.jasa_method)
    # Declining balance: the first instalment's jasa is 1.2% of the whole principal, later ones less.
    first, second = own.instalments.order_by("number")[:2]
    assert first.jasa == Decimal(48_000) and second.jasa < first.jasa
    assert selectors.ledger_drift(upk=upk) == []


def test_run_job_bad_jasa_columns_name_their_rows(upk, manager):
    data = _good_data(upk.bkm.kelurahan.name)
    data["Pinjaman"][0] += ["dua persen", "flat"]
    data["Pinjaman"][1] += ["1,5", "bunga"]
    data["Pinjaman"][5] += ["1,5", "flat"]  # LAMA-2: its other rows say nothing
    job = run_job(_job(upk, manager, _workbook(data)).pk)
    assert job.status == ImportJob.FAILED
    bad = {(e["row"], e["column"]) for e in job.errors}
    assert {(2, "jasa_persen"), (3, "metode_jasa"), (8, "nomor")} <= bad
    assert not Loan.objects.filter(upk=upk).exists()


def test_run_job_loans_take_the_terms_of_the_product_they_name(upk, manager):
    """A loan lent under a product since retired (weekly instalments, BOP)
    keeps that product's terms; a loan naming none takes the active one."""
    weekly = services.registry.product_create(
        upk=upk, name="Mingguan 2023", actor=manager, frequency="weekly", bop_rate=Decimal("0.1"), rounding_unit=500
    )
    LoanProduct.objects.filter(pk=weekly.pk).update(is_active=False)
    data = _good_data(upk.bkm.kelurahan.name)
    for row in data["Pinjaman"]:
        if row[0] == "LAMA-1":
            row += ["", "", " mingguan 2023 "]  # names are matched without case or outer spaces
    job = run_job(_job(upk, manager, _workbook(data)).pk)
    assert job.status == ImportJob.DONE, job.errors
    old = Loan.objects.get(upk=upk, purpose__contains="LAMA-1")
    other = Loan.objects.get(upk=upk, purpose__contains="LAMA-2")
    assert old.product == weekly and old.frequency == "weekly"
    first, second = old.instalments.order_by("number")[:2]
    assert (second.due_date - first.due_date).days == 7
    assert first.bop > 0
    assert other.product == LoanProduct.objects.get(upk=upk, is_active=True)
    assert other.frequency == "monthly"
    assert selectors.ledger_drift(upk=upk) == []


def test_run_job_unknown_or_mixed_products_name_their_rows(upk, manager):
    data = _good_data(upk.bkm.kelurahan.name)
    product = services.registry.product_create(upk=upk, name="Reguler", actor=manager)
    data["Pinjaman"][0] += ["", "", "Produk Hilang"]
    data["Pinjaman"][5] += ["", "", product.name]  # LAMA-2's first row; its other rows name none
    job = run_job(_job(upk, manager, _workbook(data)).pk)
    assert job.status == ImportJob.FAILED
    errors = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert "Produk Hilang tidak ada di UPK ini" in errors[(2, "produk")]
    assert product.name in errors[(2, "produk")]  # the message lists the UPK's products
    assert "produknya" in errors[(8, "nomor")]
    assert not Loan.objects.filter(upk=upk).exists()
    assert not JournalEntry.objects.filter(upk=upk).exists()


def test_run_job_csv_with_sheet_column(upk, manager):
    data = _good_data(upk.bkm.kelurahan.name)
    lines = ["lembar;kolom..."]
    for sheet in SHEETS:
        for row in data.get(sheet, []):
            lines.append(";".join([sheet, *[str(v) for v in row]]))
    job = run_job(_job(upk, manager, "\n".join(lines).encode(), name="buku.csv").pk)
    assert job.status == ImportJob.DONE, job.errors
    assert Loan.objects.filter(upk=upk).count() == 2


def test_import_dry_run_posts_nothing(upk, manager):
    job = run_job(_job(upk, manager, _workbook(_good_data(upk.bkm.kelurahan.name)), dry_run=True).pk)
    assert job.status == ImportJob.DONE
    assert not KSM.objects.filter(upk=upk).exists()


def test_import_dry_run_counts_what_the_import_posts(upk, manager):
    data = _workbook(_good_data(upk.bkm.kelurahan.name))
    entries = JournalEntry.objects.count()
    check = run_job(_job(upk, manager, data, dry_run=True).pk)
    assert check.status == ImportJob.DONE, check.errors
    assert JournalEntry.objects.count() == entries
    assert not Repayment.objects.filter(upk=upk).exists()
    real = run_job(_job(upk, manager, data).pk)
    assert real.status == ImportJob.DONE, real.errors
    assert check.summary == real.summary
    # The dry run's numbers were rolled back with it: the import's first receipt is no. 1.
    assert Repayment.objects.filter(upk=upk).order_by("pk").first().receipt_number.endswith("000001")


def test_import_dry_run_refuses_what_the_import_refuses_in_closed_months(upk, manager):
    services.cash.capital_receive(
        upk=upk,
        account=upk.accounts.get(role="capital_kotaku"),
        amount=1_000_000,
        date=date(2024, 1, 2),
        description="Modal",
        actor=manager,
        idempotency_key="cap-closed",
        channel="kas",
    )
    services.periods.period_close(upk=upk, year=2024, month=4, actor=manager)
    data = _workbook(_good_data(upk.bkm.kelurahan.name))
    check = run_job(_job(upk, manager, data, dry_run=True).pk)
    real = run_job(_job(upk, manager, data).pk)
    assert real.status == check.status == ImportJob.FAILED
    assert check.errors == real.errors
    assert any("sudah ditutup" in e["message"] for e in check.errors)
    assert not KSM.objects.filter(upk=upk).exists()


def test_import_template_download_has_every_sheet(client, manager):
    client.force_login(manager)
    response = client.get(reverse("upk:import_template"))
    wb = load_workbook(io.BytesIO(response.content))
    assert {"KSM", "Anggota", "Pinjaman", "Pembayaran", "Saldo Awal"} <= set(wb.sheetnames)


def test_import_views_scope(client, manager, staff, upk):
    client.force_login(staff)
    assert client.get(reverse("upk:import", args=[upk.pk])).status_code == 403
    client.force_login(manager)
    assert client.get(reverse("upk:import", args=[upk.pk])).status_code == 200
    job = _job(upk, manager, b"x")
    client.force_login(staff)
    assert client.get(reverse("upk:import_status", args=[job.pk])).status_code == 200


def test_import_upk_books_command_reports_bad_rows(upk, manager, tmp_path):
    data = _good_data(upk.bkm.kelurahan.name)
    data["Anggota"][0][1] = "abc"
    path = tmp_path / "buku.xlsx"
    path.write_bytes(_workbook(data))
    with pytest.raises(CommandError):
        call_command("import_upk_books", str(path), upk=upk.pk, user=manager.username)
    assert not KSM.objects.filter(upk=upk).exists()
    data = _good_data(upk.bkm.kelurahan.name)
    path.write_bytes(_workbook(data))
    call_command("import_upk_books", str(path), upk=upk.pk, user=manager.username)
    assert KSM.objects.filter(upk=upk).count() == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_import_upload_runs_on_worker_and_shows_progress(client, celery_worker, bkm):
    import time

    from tests.factories import UserFactory
    from upk import services

    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_impor")
    manager.upk_units.set([upk])
    client.force_login(manager)
    upload = ContentFile(_workbook(_good_data(upk.bkm.kelurahan.name)), name="buku.xlsx")
    response = client.post(reverse("upk:import", args=[upk.pk]), {"file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get(upk=upk)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            break
        time.sleep(0.5)
    assert job.status == ImportJob.DONE, job.errors
    partial = client.get(reverse("upk:import_status", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<progress" in body and 'value="100"' in body and "hx-get" not in body
    assert Loan.objects.filter(upk=upk).count() == 2


def test_post_good_file_runs_without_a_savepoint_per_row(upk, manager):
    """A file that posts cleanly is posted in one pass without a savepoint per row (two round trips
    each); only the services' own savepoints remain."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from upk.services.imports import parse, post, validate

    parsed = parse(_workbook(_good_data(upk.bkm.kelurahan.name)), "buku.xlsx")
    plan, errors = validate(parsed, upk)
    assert not errors
    with CaptureQueriesContext(connection) as queries:
        counts, errors = post(plan, upk=upk, actor=manager, key_prefix="t")
    assert not errors and counts["pembayaran"] == 3
    savepoints = [q for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]
    rows = sum(counts.values())
    # With a savepoint per row and per keyed posting: 46 for these 26 rows.
    assert len(savepoints) < rows / 2, (len(savepoints), rows)


def test_role_accounts_memoized_within_the_block_only(upk, django_assert_num_queries):
    from django.db import transaction

    from upk.ledger import chart

    chart.ACCOUNTS_CACHE.pop(upk.pk, None)
    with transaction.atomic(), chart.accounts_memoized():
        first = chart.role_accounts(upk.pk)
        with django_assert_num_queries(0):
            assert chart.role_accounts(upk.pk) == first
    with django_assert_num_queries(1):  # not committed yet (the test's transaction): read again
        chart.role_accounts(upk.pk)


def test_idempotent_opens_no_savepoint_inside_all_or_nothing(loan, manager):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from upk.ledger.idempotency import all_or_nothing

    def savepoints(key: str, *blocks) -> int:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            for block in blocks:
                block.__enter__()
            services.repayments.repayment_record(
                loan=loan, amount=10_000, paid_on=date(2024, 6, 10), actor=manager, idempotency_key=key
            )
            for block in reversed(blocks):
                block.__exit__(None, None, None)
        return sum(q["sql"].startswith("SAVEPOINT") for q in queries.captured_queries)

    assert savepoints("a") == 1
    assert savepoints("b", all_or_nothing()) == 0
