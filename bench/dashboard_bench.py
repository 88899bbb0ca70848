"""Staff dashboard, warm and cold (issue 12): one request alone, before and right after a posting.

    python -m bench.dashboard_bench                    # the city database of bench.pages_bench
    python -m bench.dashboard_bench --scale province   # 1,000 UPKs, 200k loans (built by bench.pages_bench)

"Cold" is the issue's: the request right after a posting that changes the dashboard's figures. Each round
times the dashboard (warm: its figures stored), records a 5,000-rupiah repayment dated today on one of the
demo manager's loans through `upk.services.repayments.repayment_record` (the stored figures of that UPK
become stale), and times the dashboard again. Django test client in this process (no HTTP, no load), the
staff role. The repayments stay in the bench database (each round pays a different loan). Target: ≤ 200 ms.
The early warnings card, which the page loads by htmx once shown, is timed after the page (warm and cold too).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid

from bench import pages_bench


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(pages_bench.SCALES), default="city")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    pages_bench.build(args.scale)  # once; later runs reuse the database (sets Django up)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from core.models import User
    from upk import services
    from upk.models import Loan
    from upk.queries import today

    staff = Client()
    staff.force_login(User.objects.get(username=pages_bench.ROLES["staff"]))
    manager = User.objects.get(username=pages_bench.ROLES["manager"])
    upk = manager.upk_units.order_by("pk").first()
    loans = list(Loan.objects.filter(upk=upk, status="active").order_by("pk")[: args.rounds])
    card_url = reverse("reports:dashboard_warnings")
    staff.get("/")  # per-process caches
    staff.get(card_url)

    def card() -> str:
        with CaptureQueriesContext(connection) as q:
            start = time.perf_counter()
            assert staff.get(card_url).status_code == 200
            took = time.perf_counter() - start
        return f"{took * 1000:,.0f} ms ({len(q)} queries)"

    print(f"# {args.scale}: staff dashboard, one request alone (Django test client)")
    for loan in loans:
        with CaptureQueriesContext(connection) as warm_q:
            start = time.perf_counter()
            assert staff.get("/").status_code == 200
            warm = time.perf_counter() - start
        warm_card = card()
        services.repayments.repayment_record(
            loan=loan, amount=5_000, paid_on=today(), actor=manager, idempotency_key=f"bench-cold-{uuid.uuid4()}"
        )
        with CaptureQueriesContext(connection) as cold_q:
            start = time.perf_counter()
            assert staff.get("/").status_code == 200
            cold = time.perf_counter() - start
        cold_card = card()
        print(
            f"  warm {warm * 1000:,.0f} ms ({len(warm_q)} queries); right after a repayment on {loan.number} "
            f"{cold * 1000:,.0f} ms ({len(cold_q)} queries){'  ABOVE 200 ms' if cold > 0.2 else ''}; "
            f"warnings card warm {warm_card}, cold {cold_card}",
            flush=True,
        )


if __name__ == "__main__":
    main()
