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
from html import escape

DB_NAME = os.environ.get("FORUM_BENCH_DB", "pokja_bench_forum")
DB_HOST = os.environ.get("FORUM_BENCH_HOST", "postgres@127.0.0.1:5432")
TARGET_POSTS = int(os.environ.get("FORUM_BENCH_POSTS", "200000"))
REPEATS = int(os.environ.get("FORUM_BENCH_REPEATS", "15"))

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


def _generate(rng: random.Random) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from bkm import demo as bkm_demo
    from core.demo import seed_users
    from core.models import User
    from forum.models import Category, Post, Thread

    if Post.objects.count() >= TARGET_POSTS:
        print(f"reusing {Post.objects.count()} posts")
        return
    t0 = time.perf_counter()
    with transaction.atomic():
        bkms = bkm_demo.seed(rng=rng, scale="city")
        seed_users(bkms=bkms)
    authors = list(User.objects.filter(is_active=True))
    categories = list(Category.objects.all())
    now = timezone.now()
    # One thread with exactly 1,000 replies for the thread-page measurement.
    long_thread = Thread.objects.create(
        category=categories[0], title="Topik panjang 1.000 balasan", author=authors[0], last_post_at=now
    )
    per_thread = 50
    batch: list[Post] = []
    created = 0

    def flush() -> None:
        nonlocal batch, created
        Post.objects.bulk_create(batch, batch_size=5000)
        created += len(batch)
        batch = []
        print(f"  {created} posts", end="\r", flush=True)

    for i in range(1001):
        body = _sentence(rng)
        batch.append(
            Post(
                thread=long_thread,
                author=rng.choice(authors),
                body_source=body,
                body_html=f"<p>{escape(body)}</p>",
                content_hash=str(i),
            )
        )
    remaining = TARGET_POSTS - 1001
    threads_needed = remaining // per_thread + 1
    for t in range(threads_needed):
        thread = Thread(
            category=rng.choice(categories),
            title=" ".join(rng.choice(WORDS) for _ in range(5)).capitalize(),
            author=rng.choice(authors),
            last_post_at=now,
            reply_count=per_thread - 1,
        )
        thread.save()
        for j in range(min(per_thread, remaining - t * per_thread)):
            body = "\n\n".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
            batch.append(
                Post(
                    thread=thread,
                    author=rng.choice(authors),
                    body_source=body,
                    body_html=f"<p>{escape(body)}</p>",
                    content_hash=f"{t}-{j}",
                )
            )
        if len(batch) >= 10000:
            flush()
    if batch:
        flush()
    Thread.objects.filter(pk=long_thread.pk).update(reply_count=1000)
    print(f"\ngenerated {created} posts in {time.perf_counter() - t0:.0f} s; indexing…")
    t1 = time.perf_counter()
    with connection.cursor() as cursor:
        # Building the GIN index once after the bulk update is far cheaper than maintaining it row by row.
        cursor.execute("DROP INDEX IF EXISTS forum_post_search")
        cursor.execute(
            """UPDATE forum_post p SET search_vector =
                 CASE WHEN p.id = f.first_id THEN setweight(to_tsvector('indonesian', t.title), 'A') ELSE ''::tsvector END
                 || setweight(to_tsvector('indonesian', p.body_source), 'B')
               FROM forum_thread t
               JOIN (SELECT thread_id, min(id) AS first_id FROM forum_post GROUP BY thread_id) f ON f.thread_id = t.id
               WHERE p.thread_id = t.id"""
        )
        cursor.execute("CREATE INDEX forum_post_search ON forum_post USING gin (search_vector)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE forum_post")
        cursor.execute("VACUUM ANALYZE forum_thread")
    print(f"search vectors and ANALYZE in {time.perf_counter() - t1:.0f} s")


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p * (len(values) - 1))))
    return values[k]


def main() -> int:
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

    thread = Thread.objects.get(title="Topik panjang 1.000 balasan")
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
