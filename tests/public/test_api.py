"""Open-data API additions: public slum areas as GeoJSON and RPLP items (schemathesis covers both through
tests/reports/test_api.py, which walks every operation of the schema)."""

from __future__ import annotations

import json

import pytest
import yaml
from django.test import Client

from bkm import services
from bkm.models import SlumMeasure
from tests.bkm.factories import RPLPItemFactory
from tests.factories import ProposalFactory, SlumAreaFactory

SQUARE = [[113.90, -2.22], [113.92, -2.22], [113.92, -2.20], [113.90, -2.20], [113.90, -2.22]]


@pytest.mark.django_db
def test_schema_lists_public_slum_areas_and_rplp_without_security():
    spec = yaml.safe_load(Client().get("/api/schema/").content)
    for path in ("/api/kawasan-kumuh/", "/api/kawasan-kumuh/{id}/", "/api/rplp/", "/api/rplp/{id}/"):
        assert path in spec["paths"], path
    listing = spec["paths"]["/api/kawasan-kumuh/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"kecamatan", "kelurahan", "page", "page_size"}
    assert {} in listing["security"]  # anonymous access
    assert "application/geo+json" in listing["responses"]["200"]["content"]


@pytest.mark.django_db
def test_slum_areas_are_geojson_features_without_notes(bkm):
    area = SlumAreaFactory(kelurahan=bkm.kelurahan, notes="Catatan internal staf")
    services.slum_area_set_geometry(area=area, geojson=json.dumps({"type": "Polygon", "coordinates": [SQUARE]}))
    SlumMeasure.objects.create(
        slum_area=area,
        year=2025,
        building=40,
        roads=30,
        drainage=20,
        drinking_water=10,
        wastewater=90,
        solid_waste=50,
        fire_protection=60,
    )
    client = Client()
    data = client.get("/api/kawasan-kumuh/").json()
    feature = data["results"][0]
    assert feature["type"] == "Feature" and feature["id"] == area.pk
    assert feature["geometry"] == {"type": "MultiPolygon", "coordinates": [[SQUARE]]}
    assert feature["properties"]["kelurahan"] == bkm.kelurahan_id
    assert feature["properties"]["measures"][0]["year"] == 2025
    assert feature["properties"]["latest_average"] == 42.86
    assert "Catatan internal" not in json.dumps(data)
    collection = client.get("/api/kawasan-kumuh/?format=geojson")
    assert collection["Content-Type"].startswith("application/geo+json")
    body = json.loads(collection.content)
    assert body["type"] == "FeatureCollection" and body["features"][0]["id"] == area.pk
    assert client.get(f"/api/kawasan-kumuh/?kelurahan={bkm.kelurahan_id + 1}").json()["results"] == []
    assert client.get("/api/kawasan-kumuh/?kecamatan=x").status_code == 400


@pytest.mark.django_db
def test_rplp_items_public_with_status_from_their_proposals(bkm):
    item = RPLPItemFactory(bkm=bkm, notes="Catatan internal RPLP")
    other = RPLPItemFactory(bkm=bkm, year=2027)
    ProposalFactory(bkm=bkm, rplp_item=item)
    rows = {r["id"]: r for r in Client().get("/api/rplp/").json()["results"]}
    assert rows[item.pk]["status"] == "diusulkan"
    assert rows[other.pk]["status"] == "direncanakan"
    assert rows[item.pk]["budget"] == 75_000_000
    assert "Catatan internal" not in json.dumps(rows)
    assert Client().get(f"/api/rplp/?bkm={bkm.pk}&year=2027").json()["count"] == 1
