"""The forum's key pages (issue 12), one request alone, on a page-bench database.

    python -m bench.forum_pages_alone                         # province, every forum page and the floor
    python -m bench.forum_pages_alone --scale city --requests 40 --pages thread search

Per page (as the bench's member `anggota`, Django test client, the bench's settings — see
bench/pages_bench.py `_environment`): two warm-up requests, the SQL query count of the next one, then
`--requests` timed requests: the median and minimum wall time, and the CPU each request cost, split
into this Python process (`time.process_time`) and the PostgreSQL backend serving its connection
(utime + stime of that backend in /proc, summed over the run). On a shared host the wall times move
with the load; the CPU per request is what a request costs the two cores, whoever else runs. The
floor view (`bench.pages_urls.floor`) is measured the same way for comparison. Reads only: it never
builds or changes the bench databases (`python -m bench.pages_bench` builds them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench import pages_bench

FORUM_PAGES = ("forum index", "forum category", "thread", "forum search", "notifications")


def _backend_cpu(connection) -> float:
    """CPU seconds the PostgreSQL backend of `connection` has used (Linux /proc; the server is local)."""
    pid = connection.connection.info.backend_pid
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(pages_bench.SCALES), default="province")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--pages", nargs="+", help="only these pages (prefix of the printed name)")
    args = parser.parse_args()
    pages_bench._environment(args.scale)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core.models import User

    pages = [{"name": "floor", "url": "/__floor__/"}]
    pages += [p for p in pages_bench.key_pages() if p["name"].split(" (")[0] in FORUM_PAGES]
    if args.pages:
        pages = [p for p in pages if any(p["name"].startswith(w) for w in args.pages)]
    client = Client()
    client.force_login(User.objects.get(username=pages_bench.ROLES["member"]))
    print(f"{args.scale}, {args.requests} requests per page, load average {os.getloadavg()[0]:.1f}")
    for page in pages:
        for _ in range(2):
            assert client.get(page["url"]).status_code == 200, page
        with CaptureQueriesContext(connection) as ctx:
            client.get(page["url"])
        queries = len(ctx.captured_queries)
        pg_start, py_start = _backend_cpu(connection), time.process_time()
        wall = []
        for _ in range(args.requests):
            start = time.perf_counter()
            client.get(page["url"])
            wall.append(time.perf_counter() - start)
        py = (time.process_time() - py_start) / args.requests * 1000
        pg = (_backend_cpu(connection) - pg_start) / args.requests * 1000
        print(
            f"{page['name']:<24} median {statistics.median(wall) * 1000:6.1f} ms  min {min(wall) * 1000:6.1f} ms  "
            f"CPU per request: Python {py:5.1f} + PostgreSQL {pg:4.1f} = {py + pg:5.1f} ms  {queries:>2} queries"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
