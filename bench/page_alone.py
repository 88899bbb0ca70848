"""One request alone, per key page: what a page costs its server without a queue in front of it.

    python -m bench.page_alone --scale province "UPK home" "loan card"
    python -m bench.page_alone --scale province --profile tottime "loan card"   # cProfile, CPU time

For each page of `bench.pages_bench.key_pages` (names by prefix; default: every page): the SQL query
count of a request after two warm-ups, then the median and minimum wall time of `--requests` more
and the median CPU time of this process (Python: view, ORM, templates — not PostgreSQL's side), with
the floor view (`bench.pages_urls`) measured the same way first. Django test client, the page's
role, the bench databases of `bench.pages_bench` (built by it; never written here).

On a loaded host the wall times follow the load (every SQL round trip waits for a core); the CPU
time and the query count are the steadier figures, and `--profile` uses CPU time for the same reason.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time

from bench import pages_bench


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="page names as the page bench prints them (prefix match)")
    parser.add_argument("--scale", choices=list(pages_bench.SCALES), default="city")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--profile", choices=["cumulative", "tottime"], help="cProfile 5 requests (CPU time)")
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args(argv)
    pages_bench._environment(args.scale)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core.models import User

    pages = [{"name": "floor", "role": "staff", "url": "/__floor__/"}] + [
        p for p in pages_bench.key_pages() if not args.pages or any(p["name"].startswith(n) for n in args.pages)
    ]
    clients = {"anonymous": Client()}
    for role, username in pages_bench.ROLES.items():
        clients[role] = Client()
        clients[role].force_login(User.objects.get(username=username))
    print(f"{'page':<28} {'HTTP':>4} {'queries':>7} {'wall p50':>10} {'wall min':>10} {'CPU p50':>9}")
    for page in pages:
        client = clients[page["role"]]
        for _ in range(2):
            client.get(page["url"])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(page["url"])
        queries = len(ctx.captured_queries)
        walls, cpus = [], []
        for _ in range(args.requests):
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(page["url"])
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - start_cpu)
        print(
            f"{page['name']:<28} {response.status_code:>4} {queries:>7} {statistics.median(walls) * 1000:>7.1f} ms "
            f"{min(walls) * 1000:>7.1f} ms {statistics.median(cpus) * 1000:>6.1f} ms",
            flush=True,
        )
        if args.profile and page["name"] != "floor":
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for _ in range(5):
                client.get(page["url"])
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.profile).print_stats(args.lines)
            print(out.getvalue())


if __name__ == "__main__":
    main()
