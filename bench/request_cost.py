"""What one request costs alone, beside the floor and the page layout (issue 12).

    python -m bench.request_cost --scale province
    python -m bench.request_cost --scale city --pages notifications "trial balance" --requests 100
    python -m bench.request_cost --scale province --pages "loan card" --profile tottime   # cProfile, CPU time

Each request goes through Django's WSGI handler, as in a gunicorn worker (no test client: its
template-rendering instrumentation and per-request setup would be measured too), on the page bench's
database and settings (`bench.pages_bench`: run its `--build` first), signed in with a session of the
page's role. Printed per page: CPU time of this process per request (the Python: middleware, view,
ORM, templates), the median and fastest wall time (CPU plus SQL, PostgreSQL on the same host), and the
SQL queries of one request — the connection's health check (`SELECT 1`, CONN_HEALTH_CHECKS, which
Django's query capture does not show) counted apart. The median of N requests after 3 warm-ups.

Rows: the floor (`/__floor__/`, one row read), the layout (`/__layout__/`: that row inside base.html,
so the difference between the two is what every HTML page pays for its layout) for each role, then
the key pages of `bench.pages_bench` asked for. On a shared host read the CPU columns and the query
counts; wall times move with the load. "DB CPU" is what the PostgreSQL backend serving this
connection spent per request (utime + stime in /proc: the server is local), so CPU + DB CPU is what
one request costs the machine's cores, whoever else runs. `--profile` runs cProfile (CPU time) over
5 requests of each key page asked for and prints the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from typing import Any

from bench import pages_bench


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(pages_bench.SCALES), default="city")
    parser.add_argument("--pages", nargs="*", default=[], help="key pages of bench.pages_bench (prefix match)")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--profile", choices=["cumulative", "tottime"], help="cProfile 5 requests per key page")
    parser.add_argument("--lines", type=int, default=40, help="functions printed per profile")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    pages_bench._environment(args.scale)
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from core.models import User

    cookies = {}
    for role, username in pages_bench.ROLES.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        cookies[role] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    rows = [("floor", "member", "/__floor__/")] + [("layout", role, "/__layout__/") for role in pages_bench.ROLES]
    if args.pages:
        rows += [
            (p["name"], p["role"], p["url"])
            for p in pages_bench.key_pages()
            if p["role"] in cookies and any(p["name"].startswith(w) for w in args.pages)
        ]

    def get(url: str, cookie: str) -> None:
        path, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "wsgi.input": io.BytesIO(b""),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        status: list[str] = []
        body = application(environ, lambda s, headers, exc_info=None: status.append(s))
        b"".join(body)
        assert status and status[0].startswith("200"), (url, status)

    queries = [0]
    checks = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    is_usable = connection.is_usable

    def counted_is_usable() -> bool:
        checks[0] += 1
        return is_usable()

    connection.is_usable = counted_is_usable  # type: ignore[method-assign]
    print(
        f"# {args.scale}: {pages_bench.SCALES[args.scale]}, {args.requests} requests each, load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'request':<28} {'role':<8} {'CPU/req':>9} {'DB CPU':>9} {'median':>9} {'fastest':>9}  queries")
    for name, role, url in rows:
        for _ in range(3):
            get(url, cookies[role])
        times = []
        cpu, db_cpu = time.process_time(), _backend_cpu(connection)
        for _ in range(args.requests):
            start = time.perf_counter()
            get(url, cookies[role])
            times.append(time.perf_counter() - start)
        cpu = (time.process_time() - cpu) / args.requests
        db_cpu = (_backend_cpu(connection) - db_cpu) / args.requests
        queries[0] = checks[0] = 0
        with connection.execute_wrapper(count):
            get(url, cookies[role])
        print(
            f"{name:<28} {role:<8} {cpu * 1000:>6.2f} ms {db_cpu * 1000:>6.2f} ms {statistics.median(times) * 1000:>6.1f} ms "
            f"{min(times) * 1000:>6.1f} ms  {queries[0]} (+{checks[0]} health check)",
            flush=True,
        )
        if args.profile and name not in ("floor", "layout"):
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for _ in range(5):
                get(url, cookies[role])
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.profile).print_stats(args.lines)
            print(out.getvalue())


def _backend_cpu(connection: Any) -> float:
    """CPU seconds the PostgreSQL backend of `connection` has used so far (Linux /proc; the server is local)."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
