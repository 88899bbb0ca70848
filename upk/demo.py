"""Demo portfolios for every demo UPK, posted through the services so the
books balance exactly as if typed in by hand.

Called by `seed_demo` after the registry demo and the demo users. Deterministic
from `rng`; dates are relative to today (loans disbursed over the last 18
months, ending today). Per UPK: capital received, a loan product, KSMs with
members and savings, loans — most paid on time (older ones paid off), some
late, a few macet — monthly operating income and costs, a reserve adjustment,
the previous year's closing when it falls in the window, older months closed
and the last two closed months submitted as monthly packages.

A believable city: most UPKs are healthy (capital lent out, few loans more than
two instalments behind, modest costs: Sehat on LAR, PAR, CCr and ROI), while
every seventh from the third on (`TROUBLED`) is in trouble — idle capital, many
late and macet loans, high costs — so the dashboard and the reports show
contrast. At every scale the third UPK is a troubled one.

The manager user `manajer` manages the first BKM's UPK (set by core.demo);
each other UPK gets its own demo manager `manajer-<kelurahan code>` so every
posting has a manager of that UPK as its actor, as in real use.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from bkm.models import BKM, Unit, UnitType
from core.models import Role, User

from . import services
from .ledger import engine
from .models import Account, AccountRole, Loan

SCALE_UPKS = {"small": 3, "city": 30, "large": 30}
SCALE_LOANS = {"small": 12, "city": 20, "large": 40}
# The UPK the demo manager `manajer` logs in to gets a fuller portfolio.
FIRST_UPK_LOANS = 30


def troubled(index: int) -> bool:
    """The UPKs in trouble: the 3rd, 10th, 17th, 24th (4 of 30; 1 of 3 at the small scale)."""
    return index % 7 == 2


@dataclass(frozen=True)
class Health:
    """How a demo UPK is run: its capital, how its loans behave, what it spends; capital and costs are
    per loan of its portfolio, so a small portfolio is not crushed by a big UPK's overheads."""

    capital_p2kp: tuple[int, int]  # hundreds of thousands per loan
    capital_kotaku: tuple[int, int]
    macet_share: float
    late_share: float
    # Instalments a late loan is behind: 1–2 is not yet at risk, 3 or more is (risk_instalments).
    late_behind: tuple[int, int]
    short_payments: bool
    costs: tuple[int, int]  # monthly incentive and office costs, thousands per loan


HEALTHY = Health((21, 27), (6, 9), 0.02, 0.12, (1, 2), False, (10, 16))
TROUBLED = Health((75, 150), (25, 75), 0.15, 0.35, (1, 6), True, (40, 70))
FIRST_NAMES_F = [
    "Siti",
    "Nur",
    "Sri",
    "Dewi",
    "Rina",
    "Yuli",
    "Wati",
    "Lina",
    "Rahmah",
    "Fitri",
    "Ani",
    "Maria",
    "Lusi",
    "Ernawati",
]
FIRST_NAMES_M = ["Ahmad", "Budi", "Agus", "Rudi", "Hendra", "Yanto", "Dedi", "Iwan", "Asmuni", "Rahmat"]
LAST_NAMES = [
    "Saputra",
    "Lestari",
    "Wahyuni",
    "Rahmawati",
    "Hidayat",
    "Nugroho",
    "Sari",
    "Pratama",
    "Ningsih",
    "Kurniawan",
    "Usop",
    "Tingang",
]
BUSINESSES = [
    "Warung sembako",
    "Jual sayur",
    "Kue basah",
    "Ikan asin",
    "Jahit",
    "Bengkel motor",
    "Kerupuk",
    "Gorengan",
    "Pulsa",
    "Anyaman rotan",
]
GROUP_WORDS = [
    "Maju",
    "Sejahtera",
    "Mandiri",
    "Harapan",
    "Bersatu",
    "Melati",
    "Mawar",
    "Karya",
    "Usaha",
    "Berkah",
    "Makmur",
    "Damai",
]


@dataclass
class Profile:
    """How a demo loan behaves: pays every instalment, stops after `stop_after`, or never pays again."""

    kind: str  # good / late / macet
    stop_after: int | None = None


def _manager_for(upk: Unit) -> User:
    existing = User.objects.filter(role=Role.UPK_MANAGER, upk_units=upk, is_active=True).order_by("pk").first()
    if existing is not None:
        return existing
    user, _created = User.objects.get_or_create(
        username=f"manajer-{upk.bkm.kelurahan.code}",
        defaults={"role": Role.UPK_MANAGER, "first_name": "Manajer", "last_name": upk.name[:100]},
    )
    user.set_unusable_password()
    user.save()
    user.upk_units.add(upk)
    return user


def _staff() -> User:
    user = User.objects.filter(role=Role.STAFF_ADMIN, is_active=True).order_by("pk").first()
    if user is None:
        user = User.objects.create(username="staf-demo-upk", role=Role.STAFF_ADMIN)
    return user


def _nik(rng: random.Random, kel_code: str) -> str:
    return "6271" + f"{rng.randint(0, 99):02d}" + f"{rng.randint(1, 999999):06d}" + f"{rng.randint(0, 9999):04d}"


def _pay(loan: Loan, amount: int, on: date, actor: Any, key: str) -> None:
    if amount > 0:
        # Instalments are paid into the UPK's bank account, which the loans are disbursed from.
        services.repayments.repayment_record(
            loan=loan, amount=amount, paid_on=on, actor=actor, idempotency_key=key, channel="bank"
        )


def seed(*, rng: random.Random, scale: str) -> None:
    today = timezone.localdate()
    upks = list(
        Unit.objects.filter(unit_type=UnitType.UPK, bkm__in=BKM.objects.all())
        .select_related("bkm", "bkm__kelurahan")
        .order_by("bkm__kelurahan__kecamatan__code", "bkm__kelurahan__code")[: SCALE_UPKS.get(scale, 3)]
    )
    staff = _staff()
    for index, upk in enumerate(upks):
        if upk.loans.exists():
            continue  # seeded before: seed_demo is re-runnable
        _seed_upk(
            upk,
            rng=rng,
            n_loans=max(SCALE_LOANS.get(scale, 12), FIRST_UPK_LOANS if index == 0 else 0),
            today=today,
            staff=staff,
            index=index,
        )


def _seed_upk(upk: Unit, *, rng: random.Random, n_loans: int, today: date, staff: User, index: int) -> None:
    actor = _manager_for(upk)
    health = TROUBLED if troubled(index) else HEALTHY
    services.settings.upk_setup(upk=upk)
    kel = upk.bkm.kelurahan
    start = engine.add_months(today, -18).replace(day=1)
    roles = {a.role: a for a in Account.objects.filter(upk=upk).exclude(role="")}
    others = {a.code: a for a in Account.objects.filter(upk=upk, role="")}
    services.cash.capital_receive(
        upk=upk,
        account=roles[AccountRole.CAPITAL_P2KP],
        amount=rng.randrange(*health.capital_p2kp) * 100_000 * n_loans,
        date=start,
        description="Saldo modal BLM P2KP/PNPM (awal buku)",
        actor=actor,
        idempotency_key=f"demo-cap1-{upk.pk}",
    )
    services.cash.capital_receive(
        upk=upk,
        account=roles[AccountRole.CAPITAL_KOTAKU],
        amount=rng.randrange(*health.capital_kotaku) * 100_000 * n_loans,
        date=engine.add_months(start, 3),  # before the first loan (start + 95 days)
        description="Dana BLM KOTAKU",
        actor=actor,
        idempotency_key=f"demo-cap2-{upk.pk}",
    )
    product = services.registry.product_create(
        upk=upk,
        name="Pinjaman Bergulir Reguler",
        actor=actor,
        jasa_rate="2",
        rounding_unit=100,
        min_term=3,
        max_term=24,
    )

    # Loans: disbursement dates spread over the window, oldest first.
    window = (today - timedelta(days=20) - (start + timedelta(days=95))).days
    disb_dates = sorted(start + timedelta(days=95 + rng.randrange(max(window, 1))) for _ in range(n_loans))
    for i, disbursed in enumerate(disb_dates):
        roll = rng.random()
        months_old = (today.year - disbursed.year) * 12 + today.month - disbursed.month
        if roll < health.macet_share and months_old >= 11:
            profile = Profile("macet", stop_after=rng.randint(0, 1))
        elif roll < health.macet_share + health.late_share:
            profile = Profile("late", stop_after=max(months_old - rng.randint(*health.late_behind), 0))
        else:
            profile = Profile("good")
        _seed_loan(
            upk, actor, product, kel, rng=rng, disbursed=disbursed, today=today, profile=profile, seq=i,
            short_payments=health.short_payments,
        )  # fmt: skip

    # Operating income and costs, monthly (bukti kas masuk / keluar), by bank; the kas holds the savings.
    month = start
    while month <= today:
        day = min(month + timedelta(days=24), today)
        key = f"demo-{upk.pk}-{month:%Y%m}"
        costs = rng.randrange(*health.costs) * 1_000 * n_loans
        services.cash.cash_voucher_record(
            upk=upk, direction="out", account=others["51010"], amount=costs, date=day, channel="bank",
            description=f"Insentif pengelola dan ATK {month:%m/%Y}", actor=actor, idempotency_key=key + "-ins",
        )  # fmt: skip
        if month.month % 3 == 0:
            services.cash.cash_voucher_record(
                upk=upk, direction="in", account=others["41040"], amount=rng.randrange(60, 270) * 1_000, date=day,
                description=f"Jasa giro bank triwulan s/d {month:%m/%Y}", actor=actor, idempotency_key=key + "-bank",
                channel="bank",
            )  # fmt: skip
        month = engine.add_months(month, 1)

    # A write-off of a macet loan in every third UPK (staff approval) with a small recovery.
    if index % 3 == 1:
        macet = [pos for pos in services_positions(upk, today) if pos.n_arrears >= 9 and pos.outstanding > 0]
        if macet:
            loan = Loan.objects.get(pk=macet[0].loan_id)
            on = today - timedelta(days=10)
            wo = services.loans.writeoff_propose(
                loan=loan, proposed_on=on, reason="Macet lebih dari 9 bulan, KSM bubar", actor=actor
            )
            wo = services.loans.writeoff_decide(write_off=wo, approve=True, actor=staff, written_off_on=on)
            services.loans.recovery_record(
                loan=loan,
                amount=min(100_000, int(wo.amount)),
                received_on=today,
                actor=actor,
                idempotency_key=f"demo-rec-{loan.pk}",
            )

    # Closing: last year's books, older months closed, two monthly packages submitted.
    last_year = today.year - 1
    if start.year <= last_year:
        services.cash.reserve_adjust(
            upk=upk, date=date(last_year, 12, 31), actor=actor, idempotency_key=f"demo-res-{upk.pk}-{last_year}"
        )
        services.periods.year_end_close(upk=upk, year=last_year, actor=actor)
    months = [engine.add_months(today.replace(day=1), -k) for k in (4, 3, 2)]
    first_close = months[0]
    if date(first_close.year, first_close.month, 1) > date(last_year, 12, 31):
        services.periods.period_close(
            upk=upk, year=first_close.year, month=first_close.month, actor=actor, reason="Tutup bulan (data contoh)"
        )
    for m in months[1:]:
        end = engine.add_months(m, 1) - timedelta(days=1)
        if (m.year, m.month) <= (last_year, 12):
            continue
        services.cash.reserve_adjust(upk=upk, date=end, actor=actor, idempotency_key=f"demo-res-{upk.pk}-{m:%Y%m}")
        services.periods.monthly_package_submit(upk=upk, year=m.year, month=m.month, actor=actor)


def services_positions(upk: Unit, on: date) -> list[Any]:
    from . import selectors

    return list(selectors.loan_positions(upk_ids=[upk.pk], as_of=on).values())


def _seed_loan(
    upk: Unit,
    actor: User,
    product: Any,
    kel: Any,
    *,
    rng: random.Random,
    disbursed: date,
    today: date,
    profile: Profile,
    seq: int,
    short_payments: bool,
) -> None:
    applied = disbursed - timedelta(days=rng.randint(3, 10))
    formed = engine.add_months(applied, -rng.randint(4, 8))
    ksm = services.registry.ksm_create(
        upk=upk,
        code=f"KSM-{kel.code[-3:]}-{seq + 1:03d}",
        name=f"KSM {rng.choice(GROUP_WORDS)} {rng.choice(GROUP_WORDS)} {seq + 1}",
        kelurahan=kel,
        formed_on=formed,
        actor=actor,
        rt=f"{rng.randint(1, 12):03d}",
    )
    n_members = rng.randint(5, 7)
    n_women = max(2, round(n_members * rng.choice([0.6, 0.8, 1.0])))
    members = []
    for j in range(n_members):
        female = j < n_women
        members.append(
            services.registry.ksm_member_add(
                ksm=ksm,
                nik=_nik(rng, kel.code),
                name=f"{rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)} {rng.choice(LAST_NAMES)}",
                gender="P" if female else "L",
                actor=actor,
                address=f"Jl. {rng.choice(['Rajawali', 'Cempaka', 'Sisingamangaraja', 'Mahir Mahar', 'Beliang'])} RT {ksm.rt}",
                business=rng.choice(BUSINESSES),
            )
        )
    # The first member chairs the KSM; receipts and reminders go to that number by WhatsApp. The number is
    # derived (not drawn) so the rest of the demo stays the same for a given seed.
    services.registry.ksm_chair_update(
        ksm=ksm, actor=actor, chair_name=members[0].name, chair_phone=f"0812{upk.pk % 1000:03d}{seq + 1:05d}"
    )
    # Three consecutive months of group savings before applying (3-month rule).
    for k in (3, 2, 1):
        services.savings.savings_deposit(
            ksm=ksm,
            amount=rng.randrange(5, 21) * 10_000,
            date=engine.add_months(applied, -k).replace(day=rng.randint(1, 25)),
            actor=actor,
            idempotency_key=f"demo-sv-{ksm.pk}-{k}",
        )
    amounts = {m: rng.randrange(5, 11) * 100_000 for m in members}
    app = services.loans.loan_apply(
        ksm=ksm,
        product=product,
        applied_on=applied,
        member_amounts=amounts,
        term_months=rng.choice([10, 12, 12, 12]),
        actor=actor,
    )
    loan = services.loans.loan_decide(loan=app.loan, approve=True, decided_on=applied, actor=actor)
    loan = services.loans.loan_disburse(loan=loan, disbursed_on=disbursed, actor=actor, via="bank")
    instalments = list(loan.instalments.order_by("number"))
    for inst in instalments:
        if inst.due_date > today:
            break
        n = inst.number
        if profile.stop_after is not None and n > profile.stop_after:
            break
        late = rng.choice([0, 0, 0, 2, 5]) if profile.kind == "good" else rng.randint(0, 20)
        paid_on = min(inst.due_date + timedelta(days=late), today)
        amount = int(inst.total)
        if profile.kind == "late" and short_payments and rng.random() < 0.3:
            amount = (amount // 2 // 100) * 100  # a short payment now and then
        _pay(loan, amount, paid_on, actor, f"demo-rp-{loan.pk}-{n}")
    # Savings keep growing a little after the loan; one withdrawal for some.
    if rng.random() < 0.5:
        services.savings.savings_deposit(
            ksm=ksm, amount=rng.randrange(5, 21) * 10_000, date=min(disbursed + timedelta(days=40), today), actor=actor,
            idempotency_key=f"demo-sv-{ksm.pk}-after",
        )  # fmt: skip
