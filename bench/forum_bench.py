"""Forum benchmark: 200k posts, search latency and the 1,000-reply thread page.

    python -m bench.forum_bench              # DB pokja_bench_forum on 127.0.0.1
    FORUM_BENCH_DB=otherdb FORUM_BENCH_POSTS=50000 python -m bench.forum_bench

Creates the database if missing, migrates it, generates posts once (re-runs
reuse them), then prints median and p95 of search latency over several
queries — as a staff admin (all categories) and as a BKM member (permission
filter narrowing to readable categories) — and the time and query count of
the first and last page of a thread with 1,000 replies. Figures go to
docs/performance.md by hand.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time

DB_NAME = os.environ.get("FORUM_BENCH_DB", "pokja_bench_forum")
DB_HOST = os.environ.get("FORUM_BENCH_HOST", "postgres@127.0.0.1:5432")
TARGET_POSTS = int(os.environ.get("FORUM_BENCH_POSTS", "200000"))
REPEATS = int(os.environ.get("FORUM_BENCH_REPEATS", "15"))
LONG_THREAD_TITLE = "Topik panjang 1.000 balasan"


def _environment() -> None:
    os.environ["DATABASE_URL"] = f"postgres://{DB_HOST}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pokja_portal.settings.base")
    os.environ["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("CELERY_BROKER_URL", "")
    os.environ["DEBUG"] = "False"


WORDS = [
    "pinjaman",
    "meminjam",
    "peminjam",
    "dipinjamkan",
    "angsuran",
    "tunggakan",
    "kolektibilitas",
    "bergulir",
    "perguliran",
    "KSM",
    "UPK",
    "BKM",
    "LKM",
    "rapat",
    "anggota",
    "pertemuan",
    "musrenbang",
    "kelurahan",
    "kecamatan",
    "drainase",
    "sanitasi",
    "kumuh",
    "permukiman",
    "jalan",
    "lingkungan",
    "relawan",
    "warga",
    "kegiatan",
    "usulan",
    "pendanaan",
    "OPD",
    "Disperkim",
    "Bappedalitbang",
    "laporan",
    "keuangan",
    "pembukuan",
    "kas",
    "jasa",
    "pelunasan",
    "penagihan",
    "kunjungan",
    "rumah",
    "sosialisasi",
    "pelatihan",
    "kelembagaan",
    "AD/ART",
    "pemilihan",
    "kepengurusan",
    "sekretariat",
    "bantuan",
    "swadaya",
    "gotong",
    "royong",
    "banjir",
    "sampah",
    "air",
    "bersih",
    "MCK",
    "komunal",
    "rencana",
    "penataan",
]
FILLER = [
    "dan",
    "yang",
    "di",
    "untuk",
    "dengan",
    "pada",
    "ini",
    "itu",
    "sudah",
    "belum",
    "akan",
    "ada",
    "kami",
    "kita",
    "mereka",
    "juga",
    "bisa",
    "harus",
]
QUERIES = [
    "pinjaman",
    "drainase",
    "tunggakan angsuran",
    "musrenbang",
    "sanitasi komunal",
    "rapat anggota",
    "sosialisasi",
]


def _ensure_database() -> None:
    import psycopg

    user_host = DB_HOST.split("@")
    user, hostport = (user_host[0], user_host[1]) if len(user_host) == 2 else ("postgres", user_host[0])
    host, _, port = hostport.partition(":")
    with psycopg.connect(host=host, port=int(port or 5432), user=user, dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
            print(f"created database {DB_NAME}")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) if rng.random() < 0.45 else rng.choice(FILLER) for _ in range(rng.randint(12, 40))]
    return " ".join(words).capitalize() + "."


def generate_posts(
    rng: random.Random,
    *,
    posts: int,
    long_replies: int = 1000,
    per_thread: int = 50,
    authors: list | None = None,
    long_category=None,
) -> int:
    """`posts` posts in threads of `per_thread` over every category, plus one thread with exactly
    `long_replies` replies, written in bulk as the services would leave them: body HTML rendered and
    hashed by forum.markup, each thread's reply count and last-post time from its posts, the starter
    watching and having read the thread, search vectors as forum.search computes them (title weight
    A on the first post). The long thread goes to `long_category` (default: the first category).
    Returns the number of posts written."""
    from django.db import connection
    from django.db.models import Count, Max, Min
    from django.utils import timezone

    from core.models import User
    from forum import conf
    from forum.markup import content_hash, render_markdown
    from forum.models import Category, Post, Thread, ThreadRead, ThreadWatch

    authors = authors or list(User.objects.filter(is_active=True))
    categories = list(Category.objects.all())
    batch: list[Post] = []
    created = 0

    def post(thread: Thread, body: str, *, first: bool) -> Post:
        return Post(
            thread=thread,
            author=thread.author if first else rng.choice(authors),
            body_source=body,
            body_html=render_markdown(body),
            content_hash=content_hash(body),
        )

    def flush() -> None:
        nonlocal batch, created
        Post.objects.bulk_create(batch, batch_size=5000)
        created += len(batch)
        batch = []
        print(f"  {created} posts", end="\r", flush=True)

    def new_thread(title: str, category=None) -> Thread:
        return Thread.objects.create(
            category=category or rng.choice(categories),
            title=title,
            author=rng.choice(authors),
            last_post_at=timezone.now(),
        )

    threads = [new_thread(LONG_THREAD_TITLE, long_category or categories[0])] if long_replies else []
    for i in range(long_replies + 1 if long_replies else 0):
        batch.append(post(threads[0], _sentence(rng), first=i == 0))
    remaining = posts - len(batch)
    while remaining > 0:
        thread = new_thread(" ".join(rng.choice(WORDS) for _ in range(5)).capitalize())
        threads.append(thread)
        for i in range(min(per_thread, remaining)):
            body = "\n\n".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
            batch.append(post(thread, body, first=i == 0))
            remaining -= 1
        if len(batch) >= 10000:
            flush()
    if batch:
        flush()
    ids = [t.pk for t in threads]
    stats = Post.objects.filter(thread_id__in=ids).values("thread_id").annotate(n=Count("id"), last=Max("created_at"))
    for row in stats:
        Thread.objects.filter(pk=row["thread_id"]).update(reply_count=row["n"] - 1, last_post_at=row["last"])
    starters = {
        row["thread_id"]: row["first"]
        for row in Post.objects.filter(thread_id__in=ids).values("thread_id").annotate(first=Min("created_at"))
    }
    ThreadWatch.objects.bulk_create(
        [ThreadWatch(user_id=t.author_id, thread=t) for t in threads], ignore_conflicts=True
    )
    ThreadRead.objects.bulk_create(
        [ThreadRead(user_id=t.author_id, thread=t, last_read_at=starters[t.pk]) for t in threads],
        ignore_conflicts=True,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Building the GIN index once after the bulk update is far cheaper than maintaining it row by row.
            config = conf.get("FORUM_SEARCH_CONFIG")
            big = created > 20000
            if big:
                cursor.execute("DROP INDEX IF EXISTS forum_post_search")
            cursor.execute(
                """UPDATE forum_post p SET search_vector =
                     CASE WHEN p.id = f.first_id THEN setweight(to_tsvector(%s::regconfig, t.title), 'A')
                          ELSE ''::tsvector END
                     || setweight(to_tsvector(%s::regconfig, p.body_source), 'B')
                   FROM forum_thread t
                   JOIN (SELECT thread_id, min(id) AS first_id FROM forum_post GROUP BY thread_id) f
                     ON f.thread_id = t.id
                   WHERE p.thread_id = t.id AND t.id = ANY(%s)""",
                [config, config, ids],
            )
            if big:
                cursor.execute("CREATE INDEX forum_post_search ON forum_post USING gin (search_vector)")
    return created


def _generate(rng: random.Random) -> None:
    from django.db import connection, transaction

    from bkm import demo as bkm_demo
    from core.demo import seed_users
    from forum.models import Post

    if Post.objects.count() >= TARGET_POSTS:
        print(f"reusing {Post.objects.count()} posts")
        return
    t0 = time.perf_counter()
    with transaction.atomic():
        bkms = bkm_demo.seed(rng=rng, scale="city")
        seed_users(bkms=bkms)
    created = generate_posts(rng, posts=TARGET_POSTS)
    print(f"\ngenerated {created} posts and their search vectors in {time.perf_counter() - t0:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE forum_post")
        cursor.execute("VACUUM ANALYZE forum_thread")


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p * (len(values) - 1))))
    return values[k]


def main() -> int:
    _environment()
    _ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from core.models import User
    from forum.models import Post, Thread
    from forum.search import search_posts

    call_command("migrate", verbosity=0)
    _generate(random.Random(2026))
    print(f"posts: {Post.objects.count()}, threads: {Thread.objects.count()}")

    staff = User.objects.get(username="staf")
    member = User.objects.get(username="anggota")
    print(f"\nSearch latency over {len(QUERIES)} queries x {REPEATS} runs (ms):")
    for label, user in (("staf (all categories)", staff), ("anggota BKM (permission-filtered)", member)):
        timings: list[float] = []
        hits = 0
        for _ in range(REPEATS):
            for query in QUERIES:
                t0 = time.perf_counter()
                results = search_posts(user=user, query=query)
                timings.append((time.perf_counter() - t0) * 1000)
                hits += len(results)
        print(
            f"  {label:36s} median {statistics.median(timings):6.1f}  p95 {_pct(timings, 0.95):6.1f}  max {max(timings):6.1f}  (hits/query {hits / len(timings):.0f})"
        )

    thread = Thread.objects.get(title=LONG_THREAD_TITLE)
    client = Client()
    client.force_login(member)
    url = reverse("forum:thread", args=[thread.pk])
    print("\nThread page with 1,000 replies (ms):")
    for page in (1, 51):
        timings = []
        queries = 0
        for _ in range(REPEATS):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url, {"page": page})
                timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
            queries = len(ctx.captured_queries)
        print(
            f"  page {page:3d}: median {statistics.median(timings):6.1f}  p95 {_pct(timings, 0.95):6.1f}  queries {queries}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
