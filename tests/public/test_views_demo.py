"""The public pages on the demo city: bounded queries, the cache, `/` per visitor, the demo geometry."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bkm.models import BKM, Document, GeometrySource, Kelurahan, SlumArea
from tests.factories import BKMFactory, BoardMemberFactory, UserFactory

SQUARE = [[113.90, -2.22], [113.92, -2.22], [113.92, -2.20], [113.90, -2.20], [113.90, -2.22]]
POLYGON = json.dumps({"type": "Polygon", "coordinates": [SQUARE]}).encode()


def _queries(client: Client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response


@pytest.mark.django_db
def test_public_pages_render_for_anonymous_with_bounded_queries_and_cached(demo_city):
    client = Client()
    bkm = BKM.objects.filter(proposals__isnull=False).first()
    bounds = {
        reverse("public:overview"): 10,
        reverse("public:bkm", args=[bkm.pk]): 40,  # ~12 + the UPK's bands at 6 month ends
        reverse("public:upk"): 80,  # units + ~6 per month end (indicators_many), 12 month ends
        reverse("public:map_data"): 20,
    }
    for url, bound in bounds.items():
        n, response = _queries(client, url)
        assert n <= bound, f"{url}: {n} queries"
        assert response["X-Public-Cache"] == "miss"
        assert "public" in response["Cache-Control"]
        # The second visit comes from the cache: no query at all (no session for an anonymous visitor).
        n, response = _queries(client, url)
        assert n == 0 and response["X-Public-Cache"] == "hit", url


@pytest.mark.django_db
def test_public_page_queries_do_not_grow_with_the_city(demo_city):
    client = Client()
    url = reverse("public:overview")
    before, _ = _queries(client, url)
    for _ in range(3):
        # An inactive BKM beside each active one (also starts a new cache generation: post_save).
        BoardMemberFactory(bkm=BKMFactory(kelurahan=Kelurahan.objects.order_by("?").first(), status="tidak_aktif"))
    after, response = _queries(client, url)
    assert response["X-Public-Cache"] == "miss"
    assert after == before


@pytest.mark.django_db
def test_home_shows_overview_to_anonymous_and_dashboard_to_staff(demo_city, client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "public/overview.html" in [t.name for t in response.templates]
    assert reverse("login") in page and "Masuk ke portal" in page
    client.force_login(UserFactory(role="staff_viewer"))
    response = client.get("/")
    assert "reports/dashboard.html" in [t.name for t in response.templates]
    assert "X-Public-Cache" not in response and "no-store" in response["Cache-Control"]
    assert 'data-testid="map"' in response.content.decode()


@pytest.mark.django_db
def test_demo_geometry_covers_the_30_kelurahan_inside_the_city_marked_as_demo(demo_city):
    from bkm import geo

    kelurahan = list(Kelurahan.objects.all())
    assert len(kelurahan) == 30
    for k in kelurahan:
        assert k.boundary_source == GeometrySource.DEMO
        assert geo.parse_geojson(json.dumps(k.boundary)) == k.boundary  # valid as an upload would be
    assert SlumArea.objects.filter(geometry__isnull=True).count() == 0
    assert Document.objects.filter(published=True).exists()
    data = Client().get(reverse("public:map_data")).json()
    assert data["demo"] is True and len(data["kelurahan"]["features"]) == 30
    assert data["proposals"]["features"]
    page = Client().get(reverse("public:overview")).content.decode()
    assert "buatan untuk demo" in page
