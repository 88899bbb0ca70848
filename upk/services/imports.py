"""Import of an existing UPK's books from XLSX (or CSV), through the services.

Two passes, all or nothing:
1. `parse` + `validate`: every row of every sheet is checked (types, required
   values, references between sheets, duplicates). Any error rejects the file.
2. `post`: inside ONE transaction, every row goes through the normal services
   exactly as if typed by hand — KSMs and members first, then money events in
   date order (capital, savings, loans: apply/decide/disburse, repayments).
   Loans go through `loan_apply(historical=True)`: they were decided under
   the rules of their time, so today's application rules (minimum members,
   savings months, ceilings) are not checked again; every data check is.
   A file that posts cleanly is posted once, row after row, without a
   savepoint per row (a savepoint is two round trips; they were a third of
   the import's statements). At the first refused row that pass is rolled
   back and the file is posted again with each service call in its own
   savepoint, so one refused row does not hide the next; then too the whole
   transaction is rolled back and every refusal is reported with its sheet
   and row.

The template has the sheets KSM, Anggota, Pinjaman, Pembayaran, Saldo Awal
and an optional Tabungan sheet (the savings history; the savings balance is
what a later arrears cover can use). A CSV holds the same data in one table whose
first column `lembar` names the sheet of each row (see docs/architecture.md, "UPK screens").
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bkm.models import Kelurahan
from core.nik import NIK_INVALID, is_valid_nik, normalize_nik

from ..ledger.actors import Actor
from ..ledger.chart import accounts_memoized
from ..ledger.errors import LedgerError
from ..ledger.idempotency import all_or_nothing
from ..models import CAPITAL_ROLES, KSM, Account, ImportJob, KSMMember, LoanProduct
from .cash import capital_receive
from .loans import loan_apply, loan_decide, loan_disburse
from .registry import ksm_create, ksm_member_add, product_create
from .repayments import repayment_record
from .savings import savings_deposit, savings_withdraw
from .settings import upk_setup

if TYPE_CHECKING:
    from bkm.models import Unit

SHEETS: dict[str, list[str]] = {
    "KSM": ["kode", "nama", "kelurahan", "rt", "tanggal_bentuk"],
    "Anggota": ["kode_ksm", "nik", "nama", "jenis_kelamin", "alamat", "usaha", "miskin"],
    "Pinjaman": [
        "nomor",
        "kode_ksm",
        "tanggal_pengajuan",
        "tanggal_cair",
        "jangka_bulan",
        "nik",
        "jumlah",
        "cara_cair",
        "jasa_persen",
        "metode_jasa",
        "produk",
    ],
    "Pembayaran": ["nomor_pinjaman", "tanggal", "jumlah", "cara_bayar"],
    "Saldo Awal": ["kode_akun", "tanggal", "jumlah", "kas_bank", "uraian"],
    "Tabungan": ["kode_ksm", "tanggal", "jenis", "jumlah"],
}
REQUIRED_SHEETS = ["KSM", "Anggota", "Pinjaman", "Pembayaran", "Saldo Awal"]
OPTIONAL_COLUMNS = {
    "rt",
    "alamat",
    "usaha",
    "miskin",
    "cara_cair",
    "cara_bayar",
    "kas_bank",
    "uraian",
    "tanggal_pengajuan",
    "jasa_persen",
    "metode_jasa",
    "produk",
}
EXAMPLE: dict[str, list[list[Any]]] = {
    "KSM": [["KSM-001", "KSM Melati", "Pahandut", "003", "2023-01-15"]],
    "Anggota": [["KSM-001", "6271010101900001", "Siti Aminah", "P", "Jl. Rajawali 3", "Warung", "ya"]],
    "Pinjaman": [
        ["PJ-LAMA-01", "KSM-001", "2024-03-01", "2024-03-05", 12, "6271010101900001", 1000000, "kas", 1.5, "flat", ""]
    ],
    "Pembayaran": [["PJ-LAMA-01", "2024-04-05", 98400, "kas"]],
    "Saldo Awal": [["31010", "2023-12-31", 250000000, "bank", "Saldo modal BLM P2KP"]],
    "Tabungan": [["KSM-001", "2023-12-10", "setor", 50000]],
}


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    message: str


@dataclass
class Row:
    sheet: str
    number: int  # as the user sees it (header is row 1)
    values: dict[str, Any]


@dataclass
class Parsed:
    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    errors: list[RowError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.rows.values())


# --- Reading ---------------------------------------------------------------------------------


def _norm_header(value: Any) -> str:
    return str(value or "").strip().lower().replace(" ", "_")


def parse(data: bytes, filename: str) -> Parsed:
    """Read an XLSX workbook or a CSV file into rows per sheet."""
    out = Parsed()
    if filename.lower().endswith(".csv"):
        _parse_csv(data, out)
    else:
        _parse_xlsx(data, out)
    for name in REQUIRED_SHEETS:
        if name not in out.rows and not any(e.sheet == name for e in out.errors):
            out.rows.setdefault(name, [])
    return out


def _parse_xlsx(data: bytes, out: Parsed) -> None:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable upload is the user's file, not our bug
        out.errors.append(RowError("-", 0, "", _("Berkas bukan XLSX yang dapat dibaca.")))
        return
    names = {ws.title.strip().lower(): ws for ws in wb.worksheets}
    for sheet, _columns in SHEETS.items():
        ws = names.get(sheet.lower())
        if ws is None:
            if sheet in REQUIRED_SHEETS:
                out.errors.append(RowError(sheet, 0, "", _("Lembar %(s)s tidak ada.") % {"s": sheet}))
            continue
        rows = ws.iter_rows(values_only=True)
        header = [_norm_header(h) for h in next(rows, [])]
        if not _check_header(sheet, header, out):
            continue
        for index, values in enumerate(rows, start=2):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            out.rows[sheet].append(Row(sheet, index, dict(zip(header, values, strict=False))))


def _parse_csv(data: bytes, out: Parsed) -> None:
    text = data.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0]
    # Indonesian Excel writes semicolons; plain CSV has commas.
    reader = csv.reader(io.StringIO(text), delimiter=";" if first.count(";") >= first.count(",") else ",")
    headers: dict[str, list[str]] = {}
    for line_no, values in enumerate(reader, start=1):
        if not values or all(not v.strip() for v in values):
            continue
        sheet_raw = values[0].strip()
        sheet = next((s for s in SHEETS if s.lower() == sheet_raw.lower()), None)
        if sheet_raw.lower() == "lembar":
            continue
        if sheet is None:
            out.errors.append(RowError(sheet_raw or "-", line_no, "lembar", _("Nama lembar tidak dikenal.")))
            continue
        if sheet not in headers:
            headers[sheet] = SHEETS[sheet]
        out.rows[sheet].append(Row(sheet, line_no, dict(zip(headers[sheet], values[1:], strict=False))))


def _check_header(sheet: str, header: list[str], out: Parsed) -> bool:
    missing = [c for c in SHEETS[sheet] if c not in header and c not in OPTIONAL_COLUMNS]
    for column in missing:
        out.errors.append(RowError(sheet, 1, column, _("Kolom %(c)s tidak ada di baris judul.") % {"c": column}))
    return not missing


# --- Values ------------------------------------------------------------------------------------


class _Bad(Exception):
    pass


def _text(row: Row, column: str, required: bool = True) -> str:
    value = row.values.get(column)
    text = "" if value is None else str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if required and not text:
        raise _Bad(_("Wajib diisi."))
    return text


def _date(row: Row, column: str, required: bool = True) -> date | None:
    value = row.values.get(column)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(row, column, required)
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _Bad(_("Tanggal tidak dikenal (pakai hh-bb-tttt atau tttt-bb-hh)."))


def _money(row: Row, column: str) -> int:
    value = row.values.get(column)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(str(value))
    else:
        text = _text(row, column).replace("Rp", "").replace(".", "").replace(" ", "").replace(",00", "")
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise _Bad(_("Harus berupa angka Rupiah.")) from exc
    if amount != amount.to_integral_value():
        raise _Bad(_("Harus Rupiah bulat."))
    if amount <= 0:
        raise _Bad(_("Harus lebih dari nol."))
    return int(amount)


def _int(row: Row, column: str, low: int, high: int) -> int:
    text = _text(row, column)
    try:
        number = int(Decimal(text))
    except (InvalidOperation, ValueError) as exc:
        raise _Bad(_("Harus berupa bilangan bulat.")) from exc
    if not low <= number <= high:
        raise _Bad(_("Harus antara %(a)s dan %(b)s.") % {"a": low, "b": high})
    return number


def _rate(row: Row, column: str) -> Decimal | None:
    """Jasa in % per month as lent (blank: the product's)."""
    value = row.values.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().replace("%", "").replace(",", ".")
    try:
        rate = Decimal(text)
    except InvalidOperation as exc:
        raise _Bad(_("Harus berupa angka persen, misalnya 1,5.")) from exc
    if not 0 <= rate <= 100 or rate != rate.quantize(Decimal("0.0001")):
        raise _Bad(_("Jasa per bulan harus antara 0 dan 100 persen, paling banyak 4 angka desimal."))
    return rate


def _method(row: Row, column: str) -> str | None:
    text = _text(row, column, required=False).lower()
    if not text:
        return None
    methods = {"flat": "flat", "menurun": "declining", "declining": "declining"}
    if text not in methods:
        raise _Bad(_("Isi flat atau menurun."))
    return methods[text]


def _product(row: Row, column: str, products: dict[str, LoanProduct]) -> LoanProduct | None:
    """A product of the UPK by name, retired ones too (blank: the UPK's first active product)."""
    name = _text(row, column, required=False)
    if not name:
        return None
    product = products.get(name.lower())
    if product is None:
        raise _Bad(
            _("Produk %(p)s tidak ada di UPK ini (ada: %(all)s).")
            % {"p": name, "all": ", ".join(sorted(p.name for p in products.values())) or "-"}
        )
    return product


def _channel(row: Row, column: str) -> str:
    text = _text(row, column, required=False).lower() or "kas"
    if text not in ("kas", "bank"):
        raise _Bad(_("Isi kas atau bank."))
    return text


# --- Validation --------------------------------------------------------------------------------


@dataclass
class Plan:
    """Validated, typed content of the file, ready to post."""

    ksms: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    loans: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: list[dict[str, Any]] = field(default_factory=list)
    capital: list[dict[str, Any]] = field(default_factory=list)
    savings: list[dict[str, Any]] = field(default_factory=list)


def validate(parsed: Parsed, upk: Unit) -> tuple[Plan, list[RowError]]:
    errors = list(parsed.errors)
    plan = Plan()

    def check(row: Row, column: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(row, column, *args)
        except _Bad as exc:
            errors.append(RowError(row.sheet, row.number, column, str(exc)))
            return None

    kelurahan = {k.code.lower(): k for k in Kelurahan.objects.all()}
    kelurahan.update({k.name.lower(): k for k in Kelurahan.objects.all()})
    existing_ksm = {k.code: k for k in KSM.objects.filter(upk=upk)}
    products = {p.name.strip().lower(): p for p in LoanProduct.objects.filter(upk=upk)}
    ksm_codes: dict[str, Any] = dict(existing_ksm)

    for row in parsed.rows.get("KSM", []):
        before = len(errors)
        code = check(row, "kode", _text)
        name = check(row, "nama", _text)
        kel_text = check(row, "kelurahan", _text)
        formed = check(row, "tanggal_bentuk", _date)
        kel = kelurahan.get(str(kel_text).lower()) if kel_text else None
        if kel_text and kel is None:
            errors.append(RowError(row.sheet, row.number, "kelurahan", _("Kelurahan tidak dikenal.")))
        if code and code in ksm_codes:
            errors.append(RowError(row.sheet, row.number, "kode", _("Kode KSM %(c)s sudah ada.") % {"c": code}))
        if len(errors) == before:
            ksm_codes[code] = row
            plan.ksms.append(
                {
                    "row": row,
                    "code": code,
                    "name": name,
                    "kelurahan": kel,
                    "rt": _text(row, "rt", False),
                    "formed_on": formed,
                }
            )

    niks: dict[str, set[str]] = defaultdict(set)
    for member in KSMMember.objects.filter(ksm__upk=upk).select_related("ksm"):
        niks[member.ksm.code].add(member.nik)
    for row in parsed.rows.get("Anggota", []):
        before = len(errors)
        code = check(row, "kode_ksm", _text)
        nik = normalize_nik(check(row, "nik", _text))
        name = check(row, "nama", _text)
        gender = check(row, "jenis_kelamin", _text)
        gender = gender.upper()[:1] if gender else gender
        if code and code not in ksm_codes:
            errors.append(
                RowError(row.sheet, row.number, "kode_ksm", _("KSM %(c)s tidak ada di lembar KSM.") % {"c": code})
            )
        if nik and not is_valid_nik(nik):
            errors.append(RowError(row.sheet, row.number, "nik", str(NIK_INVALID)))
        elif nik and code and nik in niks[code]:
            errors.append(RowError(row.sheet, row.number, "nik", _("NIK ini tercatat dua kali di KSM yang sama.")))
        if gender and gender not in ("L", "P"):
            errors.append(RowError(row.sheet, row.number, "jenis_kelamin", _("Isi L atau P.")))
        if len(errors) == before:
            niks[code].add(nik)
            poor = _text(row, "miskin", False).lower() not in ("tidak", "t", "no", "0", "n")
            plan.members.append(
                {
                    "row": row,
                    "ksm": code,
                    "nik": nik,
                    "name": name,
                    "gender": gender,
                    "address": _text(row, "alamat", False),
                    "business": _text(row, "usaha", False),
                    "is_poor": poor,
                }
            )

    for row in parsed.rows.get("Pinjaman", []):
        before = len(errors)
        number = check(row, "nomor", _text)
        code = check(row, "kode_ksm", _text)
        disbursed = check(row, "tanggal_cair", _date)
        applied = check(row, "tanggal_pengajuan", _date, False)
        term = check(row, "jangka_bulan", _int, 1, 24)
        nik = normalize_nik(check(row, "nik", _text))
        amount = check(row, "jumlah", _money)
        via = check(row, "cara_cair", _channel)
        rate = check(row, "jasa_persen", _rate)
        method = check(row, "metode_jasa", _method)
        product = check(row, "produk", _product, products)
        if code and code not in ksm_codes:
            errors.append(
                RowError(row.sheet, row.number, "kode_ksm", _("KSM %(c)s tidak ada di lembar KSM.") % {"c": code})
            )
        elif code and nik and nik not in niks[code]:
            errors.append(RowError(row.sheet, row.number, "nik", _("NIK ini bukan anggota KSM %(c)s.") % {"c": code}))
        applied = applied or disbursed
        if applied and disbursed and disbursed < applied:
            errors.append(RowError(row.sheet, row.number, "tanggal_cair", _("Tanggal cair sebelum tanggal pengajuan.")))
        if len(errors) != before:
            continue
        loan = plan.loans.get(number)
        if loan is None:
            plan.loans[number] = {
                "row": row, "number": number, "ksm": code, "applied": applied, "disbursed": disbursed,
                "term": term, "via": via, "shares": {nik: amount}, "jasa_rate": rate, "jasa_method": method,
                "product": product,
            }  # fmt: skip
            continue
        terms = (loan["ksm"], loan["disbursed"], loan["term"], loan["jasa_rate"], loan["jasa_method"], loan["product"])
        if terms != (code, disbursed, term, rate, method, product):
            errors.append(
                RowError(
                    row.sheet,
                    row.number,
                    "nomor",
                    _("Baris pinjaman %(n)s tidak sama KSM/tanggal/jangka/jasa/produknya dengan baris pertamanya.")
                    % {"n": number},
                )
            )
        elif nik in loan["shares"]:
            errors.append(
                RowError(row.sheet, row.number, "nik", _("Anggota ini tercatat dua kali pada pinjaman yang sama."))
            )
        else:
            loan["shares"][nik] = amount

    for row in parsed.rows.get("Pembayaran", []):
        before = len(errors)
        number = check(row, "nomor_pinjaman", _text)
        paid_on = check(row, "tanggal", _date)
        amount = check(row, "jumlah", _money)
        channel = check(row, "cara_bayar", _channel)
        loan = plan.loans.get(number) if number else None
        if number and loan is None:
            errors.append(
                RowError(
                    row.sheet,
                    row.number,
                    "nomor_pinjaman",
                    _("Pinjaman %(n)s tidak ada di lembar Pinjaman.") % {"n": number},
                )
            )
        elif loan and paid_on and paid_on < loan["disbursed"]:
            errors.append(RowError(row.sheet, row.number, "tanggal", _("Tanggal bayar sebelum tanggal cair.")))
        if len(errors) == before:
            plan.payments.append({"row": row, "loan": number, "date": paid_on, "amount": amount, "channel": channel})

    capital_accounts = {a.code: a for a in Account.objects.filter(upk=upk, role__in=CAPITAL_ROLES)}
    for row in parsed.rows.get("Saldo Awal", []):
        before = len(errors)
        code = check(row, "kode_akun", _text)
        on = check(row, "tanggal", _date)
        amount = check(row, "jumlah", _money)
        channel = check(row, "kas_bank", _channel)
        if code and code not in capital_accounts:
            errors.append(
                RowError(
                    row.sheet,
                    row.number,
                    "kode_akun",
                    _("Akun %(c)s bukan akun modal UPK ini (BLM P2KP, PNPM, KOTAKU, hibah).") % {"c": code},
                )
            )
        if len(errors) == before:
            plan.capital.append(
                {"row": row, "account": capital_accounts[code], "date": on, "amount": amount, "channel": channel,
                 "description": _text(row, "uraian", False) or _("Saldo awal (impor)")}
            )  # fmt: skip

    for row in parsed.rows.get("Tabungan", []):
        before = len(errors)
        code = check(row, "kode_ksm", _text)
        on = check(row, "tanggal", _date)
        kind = check(row, "jenis", _text)
        kind = kind.lower() if kind else kind
        amount = check(row, "jumlah", _money)
        if code and code not in ksm_codes:
            errors.append(
                RowError(row.sheet, row.number, "kode_ksm", _("KSM %(c)s tidak ada di lembar KSM.") % {"c": code})
            )
        if kind and kind not in ("setor", "tarik"):
            errors.append(RowError(row.sheet, row.number, "jenis", _("Isi setor atau tarik.")))
        if len(errors) == before:
            plan.savings.append({"row": row, "ksm": code, "date": on, "kind": kind, "amount": amount})
    return plan, errors


# --- Posting -----------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def post(
    plan: Plan,
    *,
    upk: Unit,
    actor: Actor,
    key_prefix: str,
    progress: Callable[[int], None] | None = None,
    dry_run: bool = False,
) -> tuple[dict[str, int], list[RowError]]:
    """Post the plan through the services in one transaction (see module doc).
    Returns (counts, errors); with errors nothing is kept.

    `dry_run` ("Periksa saja") runs exactly the same postings — every check
    the real import runs, closed months, balances and overpayments included —
    and then rolls the transaction back: one code path, so a file the check
    passes is a file the import posts. Counts say what would be posted."""
    counts, errors = _post_pass(
        plan, upk=upk, actor=actor, key_prefix=key_prefix, progress=progress, dry_run=dry_run, careful=False
    )
    if errors:
        counts, errors = _post_pass(
            plan, upk=upk, actor=actor, key_prefix=key_prefix, progress=progress, dry_run=dry_run, careful=True
        )
    return counts, errors


def _post_pass(
    plan: Plan,
    *,
    upk: Unit,
    actor: Actor,
    key_prefix: str,
    progress: Callable[[int], None] | None,
    dry_run: bool,
    careful: bool,
) -> tuple[dict[str, int], list[RowError]]:
    """One pass of `post`: `careful` runs each row in a savepoint and goes on
    after a refusal; otherwise the first refusal ends the pass."""
    errors: list[RowError] = []
    counts: dict[str, int] = defaultdict(int)
    done = 0

    def step(row: Row, fn: Callable[[], Any]) -> Any:
        nonlocal done
        done += 1
        if progress and done % 25 == 0:
            progress(done)
        try:
            if not careful:
                return fn()
            with transaction.atomic():
                return fn()
        except LedgerError as exc:
            errors.extend(RowError(row.sheet, row.number, "", m) for m in exc.messages)
        except Exception as exc:  # noqa: BLE001 - report, roll back everything, never half-import
            errors.append(RowError(row.sheet, row.number, "", _("Tidak dapat dicatat: %(e)s") % {"e": exc}))
        if not careful:
            raise _Rollback  # the careful pass reports every refusal
        return None

    try:
        with transaction.atomic(), accounts_memoized(), nullcontext() if careful else all_or_nothing():
            upk_setup(upk=upk)
            ksm_by_code: dict[str, KSM] = {k.code: k for k in KSM.objects.filter(upk=upk)}
            for item in plan.ksms:
                ksm = step(
                    item["row"],
                    partial(
                        ksm_create,
                        upk=upk,
                        code=item["code"],
                        name=item["name"],
                        kelurahan=item["kelurahan"],
                        formed_on=item["formed_on"],
                        actor=actor,
                        rt=item["rt"],
                    ),
                )
                if ksm is not None:
                    ksm_by_code[ksm.code] = ksm
                    counts["ksm"] += 1
            member_by: dict[tuple[str, str], KSMMember] = {
                (m.ksm.code, m.nik): m for m in KSMMember.objects.filter(ksm__upk=upk).select_related("ksm")
            }
            for item in plan.members:
                ksm = ksm_by_code.get(item["ksm"])
                if ksm is None:
                    continue
                member = step(
                    item["row"],
                    partial(
                        ksm_member_add,
                        ksm=ksm,
                        nik=item["nik"],
                        name=item["name"],
                        gender=item["gender"],
                        actor=actor,
                        address=item["address"],
                        is_poor=item["is_poor"],
                        business=item["business"],
                    ),
                )
                if member is not None:
                    member_by[(item["ksm"], item["nik"])] = member
                    counts["anggota"] += 1
            # Loans that name no product take the UPK's first active one (made if there is none).
            product = LoanProduct.objects.filter(upk=upk, is_active=True).order_by("pk").first()
            if product is None and any(item["product"] is None for item in plan.loans.values()):
                product = product_create(upk=upk, name=_("Pinjaman Bergulir (impor)"), actor=actor)
            # Money events in date order; same day: capital, savings, loans, repayments.
            events: list[tuple[date, int, int, str, Callable[[], Any], Row]] = []
            for item in plan.capital:
                events.append(
                    (item["date"], 0, item["row"].number, "modal", _capital(item, upk, actor, key_prefix), item["row"])
                )
            for item in plan.savings:
                ksm = ksm_by_code.get(item["ksm"])
                if ksm is not None:
                    events.append(
                        (
                            item["date"],
                            1,
                            item["row"].number,
                            "tabungan",
                            _saving(item, ksm, actor, key_prefix),
                            item["row"],
                        )
                    )
            loans: dict[str, Any] = {}
            for item in plan.loans.values():
                ksm = ksm_by_code.get(item["ksm"])
                shares = {
                    member_by[(item["ksm"], nik)]: amt
                    for nik, amt in item["shares"].items()
                    if (item["ksm"], nik) in member_by
                }
                if ksm is not None and len(shares) == len(item["shares"]):
                    events.append(
                        (
                            item["disbursed"],
                            2,
                            item["row"].number,
                            "pinjaman",
                            _loan(item, ksm, shares, item["product"] or product, actor, loans),
                            item["row"],
                        )
                    )
            for item in plan.payments:
                events.append(
                    (
                        item["date"],
                        3,
                        item["row"].number,
                        "pembayaran",
                        _payment(item, loans, actor, key_prefix),
                        item["row"],
                    )
                )
            events.sort(key=lambda e: (e[0], e[1], e[2]))
            for _on, _order, _n, what, fn, row in events:
                if step(row, fn) is not None:
                    counts[what] += 1
            if progress:
                progress(done)
            if errors or dry_run:
                raise _Rollback
    except _Rollback:
        return ({} if errors else dict(counts)), errors
    return dict(counts), errors


def _capital(item: dict, upk: Unit, actor: Actor, prefix: str) -> Callable[[], Any]:
    return partial(
        capital_receive,
        upk=upk, account=item["account"], amount=item["amount"], date=item["date"], description=item["description"],
        actor=actor, idempotency_key=f"{prefix}-sa-{item['row'].number}", channel=item["channel"],
    )  # fmt: skip


def _saving(item: dict, ksm: KSM, actor: Actor, prefix: str) -> Callable[[], Any]:
    fn = savings_deposit if item["kind"] == "setor" else savings_withdraw
    return lambda: fn(
        ksm=ksm,
        amount=item["amount"],
        date=item["date"],
        actor=actor,
        idempotency_key=f"{prefix}-tb-{item['row'].number}",
    )


def _loan(
    item: dict, ksm: KSM, shares: dict, product: LoanProduct | None, actor: Actor, loans: dict
) -> Callable[[], Any]:
    def run() -> Any:
        assert product is not None  # post() makes one when a loan names none
        app = loan_apply(
            ksm=ksm, product=product, applied_on=item["applied"], member_amounts=shares, term_months=item["term"], actor=actor,
            purpose=_("Impor: nomor lama %(n)s") % {"n": item["number"]}, historical=True,
            jasa_rate=item["jasa_rate"], jasa_method=item["jasa_method"],
        )  # fmt: skip
        loan_decide(loan=app.loan, approve=True, decided_on=item["applied"], actor=actor)
        loan = loan_disburse(loan=app.loan, disbursed_on=item["disbursed"], actor=actor, via=item["via"])
        loans[item["number"]] = loan
        return loan

    return run


def _payment(item: dict, loans: dict, actor: Actor, prefix: str) -> Callable[[], Any]:
    def run() -> Any:
        loan = loans.get(item["loan"])
        if loan is None:
            raise LedgerError(
                _("Pinjaman %(n)s tidak tercatat (lihat kesalahan di lembar Pinjaman).") % {"n": item["loan"]}
            )
        return repayment_record(
            loan=loan, amount=item["amount"], paid_on=item["date"], actor=actor,
            idempotency_key=f"{prefix}-pb-{item['row'].number}", channel=item["channel"],
        )  # fmt: skip

    return run


# --- The job -----------------------------------------------------------------------------------


def _progress_writer(job_id: int) -> Callable[[int], None] | None:
    """Progress is written on a second connection so the page sees it while
    the import's own transaction is still open (PostgreSQL only; on SQLite a
    second writer would wait for the lock, so progress shows at the end)."""
    if connection.vendor != "postgresql":
        return None
    side = connections.create_connection("default")

    def write(done: int) -> None:
        with side.cursor() as cursor:
            cursor.execute("UPDATE upk_importjob SET processed = %s WHERE id = %s", [done, job_id])

    write.close = side.close  # type: ignore[attr-defined]
    return write


def run_job(job_id: int) -> ImportJob:
    """Validate then post one uploaded file; the outcome lands on the job row."""
    job = ImportJob.objects.select_related("upk", "created_by").get(pk=job_id)
    if job.finished:
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.RUNNING)
    with job.file.open("rb") as fh:
        data = fh.read()
    parsed = parse(data, job.original_name or job.file.name)
    total = parsed.total
    ImportJob.objects.filter(pk=job.pk).update(total=total)
    plan, errors = validate(parsed, job.upk)
    counts: dict[str, int] = {}
    if not errors:
        writer = _progress_writer(job.pk)
        try:
            counts, errors = post(
                plan,
                upk=job.upk,
                actor=job.created_by,
                key_prefix=f"impor-{job.pk}",
                progress=writer,
                dry_run=job.dry_run,
            )
        finally:
            if writer is not None:
                writer.close()  # type: ignore[attr-defined]
    job.refresh_from_db()
    job.errors = [
        asdict(e)
        for e in sorted(errors, key=lambda e: (list(SHEETS).index(e.sheet) if e.sheet in SHEETS else 99, e.row))
    ]
    job.summary = counts
    job.processed = total
    job.status = ImportJob.FAILED if errors else ImportJob.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["errors", "summary", "processed", "status", "finished_at", "total"])
    return job


def template_workbook() -> bytes:
    """The downloadable template: one sheet per table with an example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    guide = wb.active
    guide.title = "Petunjuk"
    lines = [
        _("Impor buku UPK: isi lembar KSM, Anggota, Pinjaman, Pembayaran, Saldo Awal (dan Tabungan bila perlu)."),
        _(
            "Satu baris judul per lembar; jangan ubah nama kolom. Tanggal: hh-bb-tttt atau tttt-bb-hh. Jumlah: Rupiah bulat."
        ),
        _("Pinjaman: satu baris per anggota; baris dengan nomor sama membentuk satu pinjaman KSM."),
        _(
            "Pinjaman: jasa_persen (jasa per bulan, mis. 1,5) dan metode_jasa (flat atau menurun) seperti saat "
            "dipinjamkan; kosong = sesuai produk pinjaman UPK."
        ),
        _(
            "Pinjaman: produk = nama produk pinjaman UPK (juga yang sudah tidak dipakai) yang menentukan angsuran "
            "bulanan/mingguan, pembulatan, BOP dan denda; kosong = produk aktif pertama UPK."
        ),
        _("Saldo Awal: modal yang diterima (kode akun modal 31010–31040) ke kas atau bank."),
        _(
            "Tabungan: setoran/tarikan tanggung renteng (riwayat dan saldo tabungan KSM; tidak wajib untuk pinjaman lama)."
        ),
        _(
            "Pinjaman lama dicatat apa adanya: aturan pengajuan saat ini (jumlah anggota, menabung 3 bulan, plafon) "
            "tidak diperiksa ulang; data tetap diperiksa."
        ),
        _(
            "Semua baris diperiksa dulu; jika satu baris salah, tidak ada yang dicatat dan setiap kesalahan ditampilkan."
        ),
    ]
    for line in lines:
        guide.append([line])
    for sheet, columns in SHEETS.items():
        ws = wb.create_sheet(sheet)
        ws.append(columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for example in EXAMPLE[sheet]:
            ws.append(example)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def iter_errors(job: ImportJob) -> Iterable[dict[str, Any]]:
    return job.errors or []
