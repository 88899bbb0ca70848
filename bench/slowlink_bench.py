"""Slow-link bench (issue 14): a UPK manager's phone on weak mobile data.

    python -m bench.slowlink_bench                 # every page, 3 runs each (the median is printed)
    python -m bench.slowlink_bench --runs 1

Headless Chromium (Debian's, through Playwright) on a 390 px phone viewport with the network throttled
through the DevTools protocol (`Network.emulateNetworkConditions`: 400 kbit/s down and up, 300 ms
latency), against gunicorn in production mode (DEBUG off, static files collected by the portal's
`CompressedManifestStaticFilesStorage` and served by WhiteNoise, compressed when the browser asks).

Measured, wall clock from the navigation's start to the `load` event (bytes: the encoded bytes Chromium
received, headers included):
- first load of the collection sheet, the loan card and a forum thread: a fresh browser profile;
- repeat load: the same page again in the same profile (the HTTP cache holds the static files);
- submitting a 30-loan collection sheet: from the click on "Kirim semua pembayaran" to the result page's
  `load` (POST, the 30 repayments posted, redirect, the result page);
- sending 30 offline entries: the POST of the offline collection page's sync (`upk:offline_sync`) with
  30 payments, from the request to the parsed answer.

Targets (printed, not asserted): ≤ 3 s first load, ≤ 1 s repeat, ≤ 2 s submit.

The service worker is blocked in the bench profile: the DevTools throttling does not reach a worker's own
fetches, so with it the repeat figures would be flattered. What the worker adds on a phone is cache hits
for the static files, which the HTTP cache already gives here.

Data: `pokja_bench_slowlink_base` is built once — a copy of the page bench's city database
(`pokja_bench_pages_city`) when it exists, else `seed_demo --scale city` — plus a UPK of its own whose
sheet today has 30 loans (manager `manajer_lambat`); the loan card and the thread are the demo's. Every run works on a fresh
copy, `pokja_bench_slowlink`, because submitting the sheet posts payments.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from bench import db

ROOT = Path(__file__).resolve().parent.parent
BASE_DB = "pokja_bench_slowlink_base"
RUN_DB = "pokja_bench_slowlink"
CITY_DB = "pokja_bench_pages_city"
CHROMIUM = "/usr/bin/chromium"
SHEET_LOANS = 30
SHEET_MANAGER = "manajer_lambat"
DOWN_KBIT = 400
LATENCY_MS = 300
TARGETS = {"first": 3.0, "repeat": 1.0, "submit": 2.0}


def _environment(name: str) -> None:
    os.environ["DATABASE_URL"] = db.url(name)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.slowlink_settings"
    os.environ["DEBUG"] = "False"
    os.environ["SECURE_COOKIES"] = "False"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ["STATICFILES_BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    os.environ.setdefault("LOG_LEVEL", "ERROR")


# --- Data (child processes: Django set up on the bench database) --------------------------------------


def build() -> None:
    """The base database, once: the city demo plus a bench UPK whose sheet today has 30 loans."""
    if not db.exists(BASE_DB):
        try:
            db.ensure_database(BASE_DB, template=CITY_DB if db.exists(CITY_DB) else None)
        except Exception as exc:  # the page bench may hold its database open: build from scratch then
            print(f"  copy of {CITY_DB} refused ({exc}); building from seed_demo", flush=True)
            db.ensure_database(BASE_DB)
    _environment(BASE_DB)
    import django

    django.setup()
    from django.core.management import call_command

    from core.models import User

    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="manajer").exists():
        t = time.perf_counter()
        call_command("seed_demo", scale="city", verbosity=0)
        print(f"  seed_demo --scale city in {time.perf_counter() - t:.0f} s", flush=True)
    if User.objects.filter(username=SHEET_MANAGER).exists():
        return
    # The demo's sheets are short today and its older months are closed, so the 30-loan sheet is a
    # UPK of its own (on a kelurahan of its own), built through the services by the tests' builders,
    # loans disbursed three months ago with two instalments in arrears — as in the offline browser test.
    from bkm.models import Kecamatan, Kelurahan
    from core.demo import DEMO_PASSWORD
    from tests.factories import BKMFactory, UserFactory
    from tests.upk.factories_ui import fund, make_portfolio
    from upk import services
    from upk.queries import today

    t = time.perf_counter()
    kecamatan = Kecamatan.objects.order_by("pk").first()
    assert kecamatan is not None
    kelurahan = Kelurahan.objects.create(kecamatan=kecamatan, code="BENCH-LAMBAT", name="Bench Sinyal Lemah")
    bkm = BKMFactory(kelurahan=kelurahan, name="BKM Sinyal Lemah")
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username=SHEET_MANAGER)
    manager.set_password(DEMO_PASSWORD)
    manager.save()
    manager.upk_units.set([upk])
    fund(upk, manager)
    make_portfolio(upk, manager, SHEET_LOANS, today=today(), months_ago=3, paid_up_to=1)
    print(f"  {BASE_DB}: {SHEET_LOANS} loans for {upk} in {time.perf_counter() - t:.0f} s", flush=True)


def pages() -> None:
    """Print (JSON) the URLs and logins the bench needs, resolved in the run database."""
    _environment(RUN_DB)
    import django

    django.setup()
    from django.db.models import Count
    from django.urls import reverse

    from core.demo import DEMO_PASSWORD
    from core.models import User
    from forum import permissions as forum_perms
    from forum.models import Thread
    from upk import selectors
    from upk.models import Loan
    from upk.queries import today

    manager = User.objects.get(username="manajer")
    member = User.objects.get(username="anggota")
    upk = manager.upk_units.order_by("pk").first()
    sheet_upk = User.objects.get(username=SHEET_MANAGER).upk_units.get()
    assert upk is not None
    loan = Loan.objects.filter(upk=upk, status="active").annotate(n=Count("repayments")).order_by("-n", "pk").first()
    assert loan is not None
    thread = forum_perms.filter_visible_threads(member, Thread.objects.all()).order_by("-reply_count", "pk").first()
    assert thread is not None
    rows = selectors.due_list(upk=sheet_upk, on=today())
    print(
        json.dumps(
            {
                "password": DEMO_PASSWORD,
                "sheet": reverse("upk:collection_sheet", args=[sheet_upk.pk]) + f"?tanggal={today():%Y-%m-%d}",
                "sheet_loans": [r.loan.pk for r in rows][:SHEET_LOANS],
                "sheet_rows": len(rows),
                "loan_card": reverse("upk:loan_card", args=[loan.pk]),
                "thread": reverse("forum:thread", args=[thread.pk]),
                "thread_replies": thread.reply_count,
                "sync": reverse("upk:offline_sync", args=[sheet_upk.pk]),
                "today": today().isoformat(),
            }
        )
    )


def _child(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "bench.slowlink_bench", *args], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return out.stdout


# --- The server -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn (2 sync workers) on 127.0.0.1 on the run database, stopped by `stop`."""

    def __init__(self) -> None:
        _environment(RUN_DB)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            check=True,
            env=dict(os.environ),
        )
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [gunicorn, "pokja_portal.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{self.port}"]
            + ["--timeout", "120", "--log-level", "warning"],
            cwd=ROOT,
            env=dict(os.environ),
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/akun/masuk/", timeout=5).read()  # noqa: S310 - loopback only
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# --- The phone ------------------------------------------------------------------------------------


class Phone:
    """One browser profile on a throttled link, signed in as `username`."""

    def __init__(self, browser, base: str, cookie: str) -> None:
        self.context = browser.new_context(
            viewport={"width": 390, "height": 844},
            locale="id-ID",
            timezone_id="Asia/Jakarta",
            service_workers="block",
        )
        host = "127.0.0.1"
        self.context.add_cookies(
            [
                {"name": k, "value": v, "domain": host, "path": "/"}
                for k, v in (p.split("=", 1) for p in cookie.split("; "))
            ]
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(120_000)
        self.base = base
        self.bytes = 0
        cdp = self.context.new_cdp_session(self.page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": LATENCY_MS,
                "downloadThroughput": DOWN_KBIT * 1000 / 8,
                "uploadThroughput": DOWN_KBIT * 1000 / 8,
            },
        )
        cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event: dict) -> None:
        self.bytes += int(event.get("encodedDataLength") or 0)

    def load(self, url: str) -> tuple[float, int]:
        self.bytes = 0
        start = time.perf_counter()
        response = self.page.goto(self.base + url, wait_until="load")
        took = time.perf_counter() - start
        assert response is not None and response.status == 200, (url, response and response.status)
        self.page.wait_for_timeout(300)  # let the last loadingFinished events arrive
        return took, self.bytes

    def close(self) -> None:
        self.context.close()


def login_cookie(base: str, username: str, password: str) -> str:
    from bench.pages_bench import login

    return login(base, username, password)


def measure(base: str, found: dict, runs: int) -> dict[str, dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    cookies = {
        "manager": login_cookie(base, "manajer", found["password"]),
        "sheet": login_cookie(base, SHEET_MANAGER, found["password"]),
        "member": login_cookie(base, "anggota", found["password"]),
    }
    targets = [
        (f"collection sheet ({found['sheet_rows']} loans)", "sheet", found["sheet"]),
        ("loan card", "manager", found["loan_card"]),
        (f"forum thread ({found['thread_replies']} replies)", "member", found["thread"]),
    ]
    results: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic"]
        )
        try:
            for name, role, url in targets:
                r = results.setdefault(name, {"first": [], "repeat": [], "first_kb": [], "repeat_kb": []})
                for _ in range(runs):
                    phone = Phone(browser, base, cookies[role])
                    try:
                        took, size = phone.load(url)
                        r["first"].append(took)
                        r["first_kb"].append(size / 1024)
                        took, size = phone.load(url)
                        r["repeat"].append(took)
                        r["repeat_kb"].append(size / 1024)
                    finally:
                        phone.close()
                print(f"  {name}: first {_s(r['first'])}, repeat {_s(r['repeat'])}", flush=True)
            # Submitting the typed sheet: 30 amounts, each loan's Tagihan ("Penuh"). Once: it posts.
            submit = results.setdefault("submit 30-loan sheet", {"submit": [], "submit_kb": []})
            phone = Phone(browser, base, cookies["sheet"])
            try:
                phone.load(found["sheet"])
                page = phone.page
                for pk in found["sheet_loans"]:
                    row_button = page.locator(f"button[data-target='amount-{pk}']")
                    if row_button.count():
                        row_button.click()
                phone.bytes = 0
                start = time.perf_counter()
                with page.expect_navigation(wait_until="load"):
                    page.get_by_test_id("submit-sheet").click()
                submit["submit"].append(time.perf_counter() - start)
                page.wait_for_timeout(300)
                submit["submit_kb"].append(phone.bytes / 1024)
                assert page.get_by_test_id("sheet-result").count() == 1, "the sheet was not posted"
                print(f"  submit 30-loan sheet: {_s(submit['submit'])}", flush=True)
                # Thirty offline entries on the same loans (10.000 each, an advance on the next instalment).
                entries = [
                    {"key": str(uuid.uuid4()), "loan": pk, "date": found["today"], "amount": "10.000"}
                    for pk in found["sheet_loans"]
                ]
                sync = results.setdefault(f"offline sync ({len(entries)} entries)", {"submit": [], "submit_kb": []})
                phone.bytes = 0
                took, accepted = page.evaluate(
                    """async ([url, entries]) => {
                      const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
                      const start = performance.now();
                      const r = await fetch(url, {method: "POST", credentials: "same-origin",
                        headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                        body: JSON.stringify({entries})});
                      const data = await r.json();
                      if (!r.ok || data.results.length !== entries.length) throw new Error(r.status);
                      return [(performance.now() - start) / 1000,
                              data.results.filter((x) => x.status === "accepted").length];
                    }""",
                    [found["sync"], entries],
                )
                sync["submit"].append(float(took))
                page.wait_for_timeout(300)
                sync["submit_kb"].append(phone.bytes / 1024)
                print(f"  offline sync: {_s(sync['submit'])} ({accepted} of {len(entries)} accepted)", flush=True)
            finally:
                phone.close()
        finally:
            browser.close()
    return results


def _s(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s" if values else "-"


def report(results: dict[str, dict[str, list[float]]], found: dict) -> None:
    print(
        f"\nSlow link: {DOWN_KBIT} kbit/s, {LATENCY_MS} ms latency, 390 px phone, production mode; "
        f"median of the runs; targets ≤ {TARGETS['first']:.0f} s first, "
        f"≤ {TARGETS['repeat']:.0f} s repeat, ≤ {TARGETS['submit']:.0f} s submit"
    )
    print(f"{'page':<34} {'first':>8} {'KB':>7} {'repeat':>8} {'KB':>7}  verdict")
    for name, r in results.items():
        if "first" in r:
            ok = (
                statistics.median(r["first"]) <= TARGETS["first"]
                and statistics.median(r["repeat"]) <= TARGETS["repeat"]
            )
            print(
                f"{name:<34} {_s(r['first']):>8} {statistics.median(r['first_kb']):>7.1f} "
                f"{_s(r['repeat']):>8} {statistics.median(r['repeat_kb']):>7.1f}  {'OK' if ok else 'ABOVE TARGET'}"
            )
        else:
            ok = statistics.median(r["submit"]) <= TARGETS["submit"]
            print(
                f"{name:<34} {_s(r['submit']):>8} {statistics.median(r['submit_kb']):>7.1f} "
                f"{'':>8} {'':>7}  {'OK' if ok else 'ABOVE TARGET'}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("POKJA_BENCH_SLOWLINK_RUNS", "3")))
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pages", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.build:
        build()
        return
    if args.pages:
        pages()
        return
    t = time.perf_counter()
    print(f"# data: {BASE_DB} (built once, then reused), copied to {RUN_DB} for this run", flush=True)
    subprocess.run([sys.executable, "-m", "bench.slowlink_bench", "--build"], cwd=ROOT, check=True)
    db.drop_database(RUN_DB)
    db.ensure_database(RUN_DB, template=BASE_DB)
    found = json.loads(_child("--pages").strip().splitlines()[-1])
    print(f"# ready in {time.perf_counter() - t:.0f} s", flush=True)
    server = Server()
    try:
        results = measure(server.base, found, max(1, args.runs))
    finally:
        server.stop()
    report(results, found)


if __name__ == "__main__":
    main()
