"""GeoJSON geometry of kelurahan boundaries and slum-area delineations (no PostGIS).

The one place that decides what geometry the portal accepts and how it is stored:

- accepted: a Polygon or MultiPolygon geometry, a Feature with one, or a FeatureCollection of such
  Features (several features are joined into one MultiPolygon);
- coordinates in WGS84 longitude, latitude (RFC 7946). A legacy `crs` member is accepted only when
  it names WGS84 (CRS84 / EPSG:4326); any other is refused, since the portal does not reproject;
- every position inside the city's bounding box (`settings.MAP_BOUNDS`), rings closed with at
  least four positions; at most `settings.GEOJSON_MAX_BYTES` bytes and `GEOJSON_MAX_VERTICES`
  positions (the public map must stay light);
- stored normalised: {"type": "MultiPolygon", "coordinates": …}, positions rounded to 6 decimals
  (about 10 cm), heights dropped.

Errors are `GeometryError` with an Indonesian message; nothing is stored on error.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

WGS84_NAMES = frozenset(
    {
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "urn:ogc:def:crs:EPSG::4326",
        "urn:ogc:def:crs:EPSG:4326",
        "EPSG:4326",
        "CRS84",
    }
)
POLYGON_TYPES = ("Polygon", "MultiPolygon")


class GeometryError(ValueError):
    """An uploaded geometry the portal refuses; the message is for the user (Indonesian)."""


def bounds() -> tuple[float, float, float, float]:
    """(lon_min, lat_min, lon_max, lat_max) of the city."""
    lon_min, lat_min, lon_max, lat_max = settings.MAP_BOUNDS
    return float(lon_min), float(lat_min), float(lon_max), float(lat_max)


def _check_crs(obj: dict[str, Any]) -> None:
    crs = obj.get("crs")
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str) or name.strip() not in WGS84_NAMES:
        raise GeometryError(
            _(
                "Sistem koordinat %(crs)s tidak diterima. Simpan ulang berkas dalam WGS84 (EPSG:4326), "
                "urutan bujur, lintang."
            )
            % {"crs": name if isinstance(name, str) else json.dumps(crs)[:80]}
        )


def _position(raw: Any, box: tuple[float, float, float, float]) -> list[float]:
    if not isinstance(raw, list) or len(raw) < 2 or len(raw) > 3:
        raise GeometryError(_("Setiap titik harus berupa [bujur, lintang]."))
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in raw):
        raise GeometryError(_("Koordinat harus berupa angka."))
    lon, lat = float(raw[0]), float(raw[1])
    lon_min, lat_min, lon_max, lat_max = box
    if not (lon_min <= lon <= lon_max and lat_min <= lat <= lat_max):
        if lon_min <= lat <= lon_max and lat_min <= lon <= lat_max:
            raise GeometryError(
                _("Koordinat %(lon)s, %(lat)s tampaknya tertukar: urutan GeoJSON adalah bujur, lalu lintang.")
                % {"lon": raw[0], "lat": raw[1]}
            )
        raise GeometryError(
            _(
                "Titik %(lon)s, %(lat)s berada di luar wilayah Kota Palangka Raya "
                "(bujur %(lon_min)s–%(lon_max)s, lintang %(lat_min)s–%(lat_max)s)."
            )
            % {
                "lon": raw[0],
                "lat": raw[1],
                "lon_min": lon_min,
                "lon_max": lon_max,
                "lat_min": lat_min,
                "lat_max": lat_max,
            }
        )
    return [round(lon, 6), round(lat, 6)]


def _polygon(raw: Any, box: tuple[float, float, float, float]) -> list[list[list[float]]]:
    if not isinstance(raw, list) or not raw:
        raise GeometryError(_("Poligon harus memuat sedikitnya satu cincin koordinat."))
    rings = []
    for ring in raw:
        if not isinstance(ring, list) or len(ring) < 4:
            raise GeometryError(_("Setiap cincin poligon harus memuat sedikitnya empat titik."))
        points = [_position(p, box) for p in ring]
        if points[0] != points[-1]:
            raise GeometryError(_("Cincin poligon harus tertutup (titik pertama sama dengan titik terakhir)."))
        rings.append(points)
    return rings


def _geometry_polygons(geometry: Any, box: tuple[float, float, float, float]) -> list[list[list[list[float]]]]:
    if not isinstance(geometry, dict):
        raise GeometryError(_("Objek GeoJSON tidak memuat geometri."))
    _check_crs(geometry)
    kind = geometry.get("type")
    if kind not in POLYGON_TYPES:
        raise GeometryError(
            _("Jenis geometri %(type)s tidak diterima; hanya Polygon atau MultiPolygon.") % {"type": kind}
        )
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return [_polygon(coordinates, box)]
    if not isinstance(coordinates, list) or not coordinates:
        raise GeometryError(_("MultiPolygon harus memuat sedikitnya satu poligon."))
    return [_polygon(p, box) for p in coordinates]


def check_size(size: int) -> None:
    """`GeometryError` when an upload of `size` bytes is over `settings.GEOJSON_MAX_BYTES`."""
    limit = settings.GEOJSON_MAX_BYTES
    if size > limit:
        raise GeometryError(
            _("Berkas GeoJSON terlalu besar (%(size)s KB; paling besar %(limit)s KB).")
            % {"size": math.ceil(size / 1024), "limit": limit // 1024}
        )


def parse_geojson(data: bytes | str) -> dict[str, Any]:
    """The normalised MultiPolygon of an uploaded GeoJSON text, or `GeometryError`."""
    raw = data.encode() if isinstance(data, str) else data
    check_size(len(raw))
    try:
        obj = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise GeometryError(_("Berkas bukan GeoJSON yang sah (JSON tidak terbaca).")) from None
    if not isinstance(obj, dict):
        raise GeometryError(_("Berkas bukan GeoJSON yang sah (harus berupa objek)."))
    _check_crs(obj)
    box = bounds()
    kind = obj.get("type")
    polygons: list[list[list[list[float]]]] = []
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list) or not features:
            raise GeometryError(_("FeatureCollection tidak memuat satu fitur pun."))
        for feature in features:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise GeometryError(_("FeatureCollection hanya boleh memuat Feature."))
            _check_crs(feature)
            polygons += _geometry_polygons(feature.get("geometry"), box)
    elif kind == "Feature":
        polygons = _geometry_polygons(obj.get("geometry"), box)
    else:
        polygons = _geometry_polygons(obj, box)
    vertices = sum(len(ring) for polygon in polygons for ring in polygon)
    if vertices > settings.GEOJSON_MAX_VERTICES:
        raise GeometryError(
            _("Geometri terlalu rinci (%(n)s titik; paling banyak %(limit)s). Sederhanakan dulu di aplikasi GIS.")
            % {"n": vertices, "limit": settings.GEOJSON_MAX_VERTICES}
        )
    return {"type": "MultiPolygon", "coordinates": polygons}


def centroid(geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    """(lon, lat) of the area-weighted centroid of the outer rings (planar: fine at a city's scale)."""
    if not geometry:
        return None
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    area_sum = cx = cy = 0.0
    for polygon in polygons:
        ring = polygon[0]
        for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
            cross = x0 * y1 - x1 * y0
            area_sum += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
    if abs(area_sum) < 1e-15:
        ring = polygons[0][0]
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    return round(cx / (3 * area_sum), 6), round(cy / (3 * area_sum), 6)
