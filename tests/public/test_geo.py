"""GeoJSON upload validation (bkm.geo): type, CRS, city bounding box, size; Indonesian messages."""

from __future__ import annotations

import json

import pytest

from bkm import geo

SQUARE = [[113.90, -2.22], [113.92, -2.22], [113.92, -2.20], [113.90, -2.20], [113.90, -2.22]]


def _poly(ring=None, **extra):
    return json.dumps({"type": "Polygon", "coordinates": [ring or SQUARE], **extra})


def test_parse_geojson_normalises_polygon_feature_and_collection_to_multipolygon():
    single = geo.parse_geojson(_poly())
    assert single == {"type": "MultiPolygon", "coordinates": [[SQUARE]]}
    feature = geo.parse_geojson(json.dumps({"type": "Feature", "properties": {}, "geometry": json.loads(_poly())}))
    assert feature == single
    shifted = [[x + 0.05, y] for x, y in SQUARE]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"nama": "A"}, "geometry": json.loads(_poly())},
            {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [[shifted]]}},
        ],
    }
    assert geo.parse_geojson(json.dumps(collection))["coordinates"] == [[SQUARE], [shifted]]


def test_parse_geojson_accepts_wgs84_crs_and_drops_height_and_rounds():
    ring = [[113.9000001234, -2.22, 12.5], [113.92, -2.22, 0], [113.92, -2.2, 0], [113.9000001234, -2.22, 12.5]]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    out = geo.parse_geojson(_poly(ring, crs=crs))
    assert out["coordinates"][0][0][0] == [113.9, -2.22]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"bukan json", "JSON tidak terbaca"),
        (json.dumps([1, 2]), "harus berupa objek"),
        (json.dumps({"type": "Point", "coordinates": [113.9, -2.2]}), "Jenis geometri Point tidak diterima"),
        (json.dumps({"type": "LineString", "coordinates": SQUARE}), "hanya Polygon atau MultiPolygon"),
        (
            json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point"}}]}),
            "Jenis geometri Point",
        ),
        (json.dumps({"type": "FeatureCollection", "features": []}), "tidak memuat satu fitur pun"),
        (
            _poly(crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32750"}}),
            "Sistem koordinat urn:ogc:def:crs:EPSG::32750 tidak diterima",
        ),
        (_poly([[x, y] for y, x in SQUARE]), "tertukar"),
        (_poly([[106.8, -6.2], [106.9, -6.2], [106.9, -6.1], [106.8, -6.2]]), "di luar wilayah Kota Palangka Raya"),
        (_poly([[695000, 9755000], [696000, 9755000], [696000, 9756000], [695000, 9755000]]), "di luar wilayah"),
        (_poly(SQUARE[:-1]), "harus tertutup"),
        (_poly(SQUARE[:3]), "sedikitnya empat titik"),
        (_poly([[113.9, "-2.2"], *SQUARE[1:]]), "harus berupa angka"),
    ],
)
def test_parse_geojson_refuses_with_indonesian_message(payload, message):
    with pytest.raises(geo.GeometryError, match=message):
        geo.parse_geojson(payload)


def test_parse_geojson_refuses_files_over_the_size_limit(settings):
    settings.GEOJSON_MAX_BYTES = 1024
    big = _poly() + " " * 2000
    with pytest.raises(geo.GeometryError, match="terlalu besar"):
        geo.parse_geojson(big)


def test_parse_geojson_refuses_too_many_vertices(settings):
    settings.GEOJSON_MAX_VERTICES = 4
    ring = [*SQUARE[:4], [113.905, -2.205], SQUARE[0]]
    with pytest.raises(geo.GeometryError, match="terlalu rinci"):
        geo.parse_geojson(_poly(ring))


def test_centroid_is_the_middle_of_a_square():
    assert geo.centroid(geo.parse_geojson(_poly())) == (113.91, -2.21)
    assert geo.centroid(None) is None


def test_tile_source_allows_only_the_tile_host():
    from pokja_portal.csp import tile_source

    assert tile_source("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png") == "https://*.tile.openstreetmap.org"
    assert tile_source("https://peta.palangkaraya.go.id/tiles/{z}/{x}/{y}.png") == "https://peta.palangkaraya.go.id"
    with pytest.raises(ValueError):
        tile_source("javascript:alert(1)")


def test_default_csp_allows_no_tile_host(settings):
    assert settings.MAP_TILE_URL == ""
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] == ["'self'", "data:"]
