"""gunicorn settings of the web container (docker-compose.yml, Dockerfile) and of the page bench.

    gunicorn pokja_portal.wsgi:application -c gunicorn.conf.py

Sync workers: a request holds a worker from the first byte to the last, so their number bounds how
many requests run at once. Environment: GUNICORN_WORKERS (default 2 per CPU + 1), GUNICORN_BIND
(0.0.0.0:8000), GUNICORN_TIMEOUT (60 s), GUNICORN_MAX_REQUESTS (2,000; 0 = never recycle). Options
given on the command line win over these (the benches pass --workers 2 and their own --bind).

The application is loaded once in the master (`preload_app`) and the workers are forked from it, so
Django's modules, URL patterns and settings are read once and their memory pages are shared. The
garbage collector is kept from touching those shared objects, as the `gc.freeze` documentation
advises for servers that fork: collection is off while the master loads the application, the
objects that exist are frozen (moved to a generation the collector never scans) right before each
fork, and collection is turned back on in the new worker. A full collection in a worker then walks
only what requests allocate, not the ~0.5 million objects of the loaded application — those full
collections were the pauses of several milliseconds that showed in request profiles — and the
collector never writes to the shared pages (no copy-on-write of the application's memory).

Because the master holds the loaded code, a new release needs the master restarted (the container,
as `docker compose up` does); a HUP to the master would fork workers from the old code.
"""

from __future__ import annotations

import gc
import os
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "0")) or 2 * len(os.sched_getaffinity(0)) + 1
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# A worker is replaced after this many requests (jittered so they are not replaced together):
# what a long-running worker's heap gains over days is returned; the fork from the preloaded
# master costs a few milliseconds.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
preload_app = True
# The workers' heartbeat files on a memory file system when there is one (Docker's overlay
# file system can stall the heartbeat and get workers killed as unresponsive).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's own advice

gc.disable()  # until the worker is forked (post_fork): no collection while the application loads


def when_ready(server: Any) -> None:
    """In the master, before the first fork: what every request needs is loaded once and shared."""
    from django.db import connections
    from django.template.loader import get_template
    from django.urls import get_resolver

    # The URL patterns import every app's views, and the layout every page extends is compiled (the
    # cached template loader keeps it); otherwise each worker does both on its first request.
    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf
    get_template("base.html")
    # Nothing at startup should connect, but a connection inherited by two processes would interleave
    # their queries on one socket: close any the loading opened.
    connections.close_all()


def pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    gc.enable()
