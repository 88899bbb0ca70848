"""The public pages and the map data in the embedded mode (SQLite, no Redis): JSONField geometry, no PostGIS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

CHECK = """
from django.test import Client
from bkm.models import BKM, Kelurahan
c = Client()
for url in ["/", "/publik/upk/", "/publik/bkm/%d/" % BKM.objects.order_by("pk").first().pk, "/api/kawasan-kumuh/?format=geojson"]:
    r = c.get(url)
    assert r.status_code == 200, (url, r.status_code)
data = c.get("/publik/peta.json").json()
assert len(data["kelurahan"]["features"]) == 30 and data["demo"], data.keys()
assert Kelurahan.objects.filter(boundary__isnull=True).count() == 0
print("public-ok")
"""


def test_public_pages_and_map_work_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pokja_portal.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "CELERY_BROKER_URL": "",
        "CACHE_URL": "locmemcache://",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ALLOWED_HOSTS": "testserver",
    }
    for command in (["migrate", "-v0"], ["seed_demo", "--scale", "small"], ["shell", "-c", CHECK]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, done.stderr[-3000:]
    assert "public-ok" in done.stdout
