"""Page bench (issue 12): what a user waits for, under load, beside a bare Django view.

    python -m bench.pages_bench                        # city and province, every key page
    python -m bench.pages_bench --scales city --duration 20 --pages dashboard "loan card"
    python -m bench.pages_bench --counts-only          # SQL query counts only, no load

For each scale it builds (once; later runs reuse it) a database of its own:

- city, `pokja_bench_pages_city`: `seed_demo --scale city` (30 BKMs/UPKs, every record through the services);
- province, `pokja_bench_pages_province`: a copy of the city (CREATE DATABASE … TEMPLATE), plus 970 BKMs with units and proposals and books for
  each UPK (`bench.reports_bench.add_bkms` / `generate_books`: 200 loans each, ~195,000 loans with members,
  schedules, repayments, allocations and balanced entries) and 200,000 forum posts with a 1,000-reply
  thread (`bench.forum_bench.generate_posts`).

Then, per scale: the SQL query count of every key page (Django test client, the page's role, the second
request so per-process caches are warm), and, under load, gunicorn with 2 sync workers on the same
settings plus a floor view (`bench.pages_urls.floor`: one row read, same middleware) started in the same
run; each role logs in through the login form and its session cookie goes to `wrk` (Debian package
`wrk`): `wrk -t2 -c16 -d<duration>s --latency` after a 2-second warm-up, per page. Printed: rps, p50, p99
and the ratio to the floor's (measured before and after the pages; their mean), and the query counts at
city and province with a flag where a count grows with the data.

Targets (printed, not asserted): p50 ≤ 4× the floor's and rps ≥ ¼ of the floor's. Absolute figures on
the shared development machine move by ±30 % from run to run; the ratio to the floor in the same run is
what counts. A load test only ever targets 127.0.0.1 and stops by itself (wrk -d); the server is stopped
when the bench ends.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from bench import db

ROOT = Path(__file__).resolve().parent.parent
# A copy of a scale's database can be measured instead (one per engineer on a shared host):
# POKJA_BENCH_PAGES_CITY_DB / POKJA_BENCH_PAGES_PROVINCE_DB name it.
SCALES = {
    scale: os.environ.get(f"POKJA_BENCH_PAGES_{scale.upper()}_DB", f"pokja_bench_pages_{scale}")
    for scale in ("city", "province")
}
PROVINCE_BKMS = 1000
PROVINCE_POSTS = 200_000
ROLES = {"staff": "staf", "manager": "manajer", "member": "anggota"}


def _environment(scale: str) -> None:
    os.environ["DATABASE_URL"] = db.url(SCALES[scale])
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.pages_settings"
    os.environ["DEBUG"] = "False"
    os.environ["SECURE_COOKIES"] = "False"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.environ.setdefault("LOG_LEVEL", "ERROR")


# --- Building the databases (in a child process per scale) ----------------------------------------


def build(scale: str) -> None:
    """Create, migrate and fill the scale's database unless it is already there (the province
    starts as a copy of the built city)."""
    db.ensure_database(SCALES[scale], template=SCALES["city"] if scale == "province" else None)
    _environment(scale)
    import django

    django.setup()
    import random

    from django.core.management import call_command
    from django.db import connection

    from bkm.models import BKM, Unit, UnitType
    from core.models import User
    from forum.models import Post

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not User.objects.filter(username=ROLES["manager"]).exists():
        call_command("seed_demo", scale="city", verbosity=0)
        print(f"  {scale}: seed_demo --scale city in {time.perf_counter() - t0:.0f} s", flush=True)
    if scale != "province":
        return
    from bench import forum_bench, reports_bench

    rng = random.Random(2026)
    missing = PROVINCE_BKMS - BKM.objects.count()
    if missing > 0:
        t = time.perf_counter()
        bkms = reports_bench.add_bkms(missing, rng)
        units = list(Unit.objects.filter(bkm__in=bkms, unit_type=UnitType.UPK).select_related("bkm").order_by("pk"))
        loans = reports_bench.generate_books(units)
        print(f"  province: {len(bkms)} BKMs, {loans} loans generated in {time.perf_counter() - t:.0f} s", flush=True)
    if Post.objects.count() < PROVINCE_POSTS:
        t = time.perf_counter()
        from forum import permissions as forum_perms
        from forum.models import Category

        member = User.objects.get(username=ROLES["member"])
        readable = forum_perms.filter_visible_categories(member, Category.objects.order_by("position", "pk"))
        created_posts = forum_bench.generate_posts(
            rng, posts=PROVINCE_POSTS - Post.objects.count(), long_category=readable.first()
        )
        print(f"  province: {created_posts} forum posts generated in {time.perf_counter() - t:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- The pages and their query counts (in a child process per scale) --------------------------------


def key_pages() -> list[dict]:
    """Every key page of issue 12 with the role that opens it, resolved to URLs in this database."""
    from django.db.models import Count
    from django.urls import reverse

    from core.models import User
    from forum import permissions as forum_perms
    from forum.models import Category, Thread
    from upk.models import KSM, Loan

    manager = User.objects.get(username=ROLES["manager"])
    member = User.objects.get(username=ROLES["member"])
    upk = manager.upk_units.order_by("pk").first()
    assert upk is not None and member.bkm_id is not None
    loan = Loan.objects.filter(upk=upk, status="active").annotate(n=Count("repayments")).order_by("-n", "pk").first()
    assert loan is not None
    ksm = KSM.objects.get(pk=loan.ksm_id)
    threads = forum_perms.filter_visible_threads(member, Thread.objects.all())
    thread = threads.order_by("-reply_count", "pk").first()
    assert thread is not None
    category = forum_perms.filter_visible_categories(member, Category.objects.all()).get(pk=thread.category_id)
    pages = [
        ("dashboard", "staff", reverse("home")),
        # Its early warnings card, loaded by htmx once the page is shown.
        ("dashboard warnings", "staff", reverse("reports:dashboard_warnings")),
        ("BKM list", "staff", reverse("bkm:list")),
        ("BKM page", "staff", reverse("bkm:detail", args=[member.bkm_id])),
        # Its lower sections (documents, RPLP, proposals, history…), loaded by htmx once the page is shown.
        ("BKM records", "staff", reverse("bkm:records", args=[member.bkm_id])),
        ("proposal list", "staff", reverse("bkm:proposal_list")),
        ("UPK home", "manager", reverse("upk:home", args=[upk.pk])),
        ("KSM", "manager", reverse("upk:ksm_detail", args=[ksm.pk])),
        ("loan card", "manager", reverse("upk:loan_card", args=[loan.pk])),
        ("collection sheet", "manager", reverse("upk:collection_sheet", args=[upk.pk])),
        ("cash book", "manager", reverse("upk:cash_book", args=[upk.pk])),
        ("trial balance", "manager", reverse("upk:trial_balance", args=[upk.pk])),
        ("neraca", "manager", reverse("upk:neraca", args=[upk.pk])),
        ("monthly package", "manager", reverse("upk:package", args=[upk.pk])),
        ("forum index", "member", reverse("forum:index")),
        ("forum category", "member", reverse("forum:category", args=[category.slug])),
        (f"thread ({thread.reply_count} replies)", "member", reverse("forum:thread", args=[thread.pk])),
        ("forum search", "member", reverse("forum:search") + "?q=pinjaman"),
        ("notifications", "member", reverse("forum:notifications")),
        ("API bkm", "staff", "/api/bkm/"),
        ("API usulan", "staff", "/api/usulan/"),
        ("API upk-indikator", "staff", "/api/upk-indikator/"),
        # Issue 15: the public overview as a visitor who is not signed in (cached; target ≥ 5× the dashboard's rps).
        ("public overview", "anonymous", "/"),
    ]
    return [{"name": n, "role": r, "url": u} for n, r, u in pages]


def count_queries(scale: str) -> list[dict]:
    _environment(scale)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core.models import User

    pages = key_pages()
    clients = {}
    for role, username in ROLES.items():
        clients[role] = Client()
        clients[role].force_login(User.objects.get(username=username))
    clients["anonymous"] = Client()
    for page in pages:
        client = clients[page["role"]]
        client.get(page["url"])  # warm per-process caches
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(page["url"])
        page["status"] = response.status_code
        page["queries"] = len(ctx.captured_queries)
    return pages


# --- Load (this process: gunicorn, login, wrk) ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers on 127.0.0.1, stopped on exit: the deployment's configuration
    (gunicorn.conf.py: preloaded application, frozen garbage collection) with the bench's worker count."""

    def __init__(self, scale: str, workers: int = 2):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        _environment(scale)
        env.update({k: os.environ[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "SECURE_COOKIES")})
        env.update({k: os.environ[k] for k in ("ALLOWED_HOSTS", "CELERY_BROKER_URL", "STATICFILES_BACKEND")})
        env["PYTHONWARNINGS"] = "ignore::UserWarning"  # whitenoise: no collected static files (not served here)
        env["GUNICORN_MAX_REQUESTS"] = "0"  # no worker recycled mid-run: each run compares like with like
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [gunicorn, "pokja_portal.wsgi:application", "-c", str(ROOT / "gunicorn.conf.py")]
            + ["--workers", str(workers), "--bind", f"127.0.0.1:{self.port}", "--timeout", "300"]
            + ["--log-level", "warning"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/__floor__/", timeout=5).read()  # noqa: S310 - loopback only
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


def login(base: str, username: str, password: str) -> str:
    """Log in through the login form; the Cookie header for the load tool."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/akun/masuk/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    request = urllib.request.Request(base + "/akun/masuk/", data=data, headers={"Referer": base + "/akun/masuk/"})
    opener.open(request, timeout=120).read()
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, f"login of {username} failed"
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _seconds(value: str) -> float:
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", value)
    assert m, value
    return float(m[1]) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m[2]]


def wrk(url: str, cookie: str, *, duration: int, connections: int, threads: int = 2, warm: bool = True) -> dict:
    """One wrk run (after a 2-second warm-up unless `warm` is false): rps, p50, p99 in seconds, errors."""
    binary = shutil.which("wrk")
    assert binary, "wrk is not installed (Debian package `wrk`)"
    common = ["-H", f"Cookie: {cookie}", "--timeout", "60s"]
    if warm:
        subprocess.run([binary, "-t1", "-c2", "-d2s", *common, url], check=True, capture_output=True)
    out = subprocess.run(
        [binary, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", *common, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out)[1])  # type: ignore[index]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    done = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    return {
        "rps": rps,
        "p50": _seconds(p50[1]) if p50 and done else float("nan"),
        "p99": _seconds(p99[1]) if p99 and done else float("nan"),
        "errors": int(errors[1]) if errors else 0,
        "timeouts": int(timeouts[1]) if timeouts else 0,
        "requests": done,
    }


def _check_page(base: str, url: str, cookie: str) -> int:
    request = urllib.request.Request(base + url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - loopback only
            if "/akun/masuk/" in response.geturl():
                return 401  # redirected to the login page: the cookie does not carry the role
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_idle(base: str, timeout: float = 600) -> None:
    """Until the floor view answers within 0.5 s again (the workers have served what wrk left queued)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        start = time.perf_counter()
        urllib.request.urlopen(base + "/__floor__/", timeout=timeout).read()  # noqa: S310 - loopback only
        if time.perf_counter() - start < 0.5:
            return
        time.sleep(1)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.0995 else f"{seconds * 1000:.1f} ms"


def load(scale: str, pages: list[dict], *, password: str, duration: int, connections: int) -> list[dict]:
    server = Server(scale)
    try:
        cookies = {role: login(server.base, username, password) for role, username in ROLES.items()}
        cookies["anonymous"] = ""
        floor_url = server.base + "/__floor__/"
        floor_before = wrk(floor_url, cookies["staff"], duration=duration, connections=connections)
        results = []
        for page in pages:
            start = time.perf_counter()
            status = _check_page(server.base, page["url"], cookies[page["role"]])
            single = time.perf_counter() - start
            if status != 200:
                results.append({**page, "http": status})
                continue
            # A page slower than a quarter of the run gets one connection per worker: 16 connections would
            # queue requests the workers still serve after wrk stops, slowing the next page down.
            c = connections if single < duration / 4 else 2
            r = wrk(server.base + page["url"], cookies[page["role"]], duration=duration, connections=c, warm=single < 1)
            _wait_idle(server.base)
            results.append({**page, **r, "http": status, "single": single, "connections": c})
            print(
                f"  {scale:<8} {page['name']:<28} {r['rps']:>8.1f} rps  p50 {_ms(r['p50']):>10}  "
                f"p99 {_ms(r['p99']):>10}  ({r['requests']} requests, -c{c}; one request alone {_ms(single)})",
                flush=True,
            )
        floor_after = wrk(floor_url, cookies["staff"], duration=duration, connections=connections)
    finally:
        server.stop()
    floor = {k: (floor_before[k] + floor_after[k]) / 2 for k in ("rps", "p50", "p99")}
    print(
        f"\n{scale}: floor view {floor['rps']:.0f} rps, p50 {_ms(floor['p50'])}, p99 {_ms(floor['p99'])} "
        f"(before the pages {floor_before['rps']:.0f} rps / {_ms(floor_before['p50'])}, after "
        f"{floor_after['rps']:.0f} rps / {_ms(floor_after['p50'])}); wrk -t2 -c{connections} -d{duration}s"
    )
    print(f"{'page':<30} {'role':<8} {'rps':>8} {'p50':>10} {'p99':>10} {'p50/floor':>10} {'floor/rps':>10}  verdict")
    for r in results:
        if r.get("http") != 200:
            print(f"{r['name']:<30} {r['role']:<8} FAILED: HTTP {r['http']}")
            continue
        p50_ratio = r["p50"] / floor["p50"]
        rps_ratio = floor["rps"] / r["rps"] if r["rps"] else float("inf")
        worst = max(p50_ratio, rps_ratio) if r["requests"] else float("inf")
        verdict = "OK (≤ 4×)" if worst <= 4 else ("ABOVE 4×" if worst <= 10 else "ABOVE 10×")
        if r["errors"] or r["timeouts"]:
            verdict += f"; {r['errors']} non-2xx, {r['timeouts']} timeouts"
        print(
            f"{r['name']:<30} {r['role']:<8} {r['rps']:>8.1f} {_ms(r['p50']):>10} {_ms(r['p99']):>10} "
            f"{p50_ratio:>9.1f}× {rps_ratio:>9.1f}× {_ms(r['single']):>10}  {verdict}"
        )
    return results


def _child(flag: str, scale: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "bench.pages_bench", flag, scale], cwd=ROOT, check=False, capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(f"{flag} {scale} failed:\n{out.stderr[-3000:]}")
    return out.stdout


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", choices=list(SCALES), default=list(SCALES))
    parser.add_argument("--pages", nargs="+", help="only these pages (names as printed; prefix match)")
    parser.add_argument("--duration", type=int, default=int(os.environ.get("POKJA_BENCH_PAGES_DURATION", "10")))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--counts-only", action="store_true", help="query counts only, no load test")
    parser.add_argument("--build", choices=list(SCALES), help=argparse.SUPPRESS)
    parser.add_argument("--counts", choices=list(SCALES), help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.build:
        build(args.build)
        return
    if args.counts:
        pages = count_queries(args.counts)  # sets Django up
        from core.demo import DEMO_PASSWORD

        print(json.dumps({"pages": pages, "password": DEMO_PASSWORD}))
        return
    counts: dict[str, dict[str, int]] = {}
    if "province" in args.scales and not db.exists(SCALES["province"]) and "city" not in args.scales:
        subprocess.run([sys.executable, "-m", "bench.pages_bench", "--build", "city"], cwd=ROOT, check=True)
    for scale in args.scales:
        t = time.perf_counter()
        print(f"# {scale}: database {SCALES[scale]} (built once, then reused)", flush=True)
        subprocess.run([sys.executable, "-m", "bench.pages_bench", "--build", scale], cwd=ROOT, check=True)
        print(f"# {scale}: ready in {time.perf_counter() - t:.0f} s", flush=True)
        found = json.loads(_child("--counts", scale).strip().splitlines()[-1])
        pages = found["pages"]
        if args.pages:
            pages = [p for p in pages if any(p["name"].startswith(w) for w in args.pages)]
        counts[scale] = {p["name"].split(" (")[0]: p["queries"] for p in pages}
        bad = [f"{p['name']} (HTTP {p['status']})" for p in pages if p["status"] != 200]
        if bad:
            print(f"# {scale}: pages that did not answer 200 in the test client: {', '.join(bad)}")
        if not args.counts_only:
            load(scale, pages, password=found["password"], duration=args.duration, connections=args.connections)
    print("\nSQL queries per page (second request, test client, the page's role):")
    print(f"{'page':<30} " + " ".join(f"{s:>9}" for s in counts))
    names = list(dict.fromkeys(n for c in counts.values() for n in c))
    for name in names:
        row = [counts[s].get(name) for s in counts]
        flag = ""
        if len(counts) > 1 and None not in row and row[-1] > row[0]:  # type: ignore[operator]
            flag = "  GROWS WITH THE DATA"
        print(f"{name:<30} " + " ".join(f"{'—' if v is None else v:>9}" for v in row) + flag)


if __name__ == "__main__":
    main()
