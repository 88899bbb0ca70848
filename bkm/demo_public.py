"""Demo data for the public face (run by `seed_demo` after the registry's demo content).

- Generated geometry for the 30 kelurahan and the demo slum areas: each kecamatan is a rectangle of
  the city (Rakumpit north; Bukit Batu, Jekan Raya, Pahandut across the middle; Sabangau south),
  cut into one cell per kelurahan along shared wavy lines, so neighbours meet without gaps or
  overlaps; a slum area is a small irregular polygon around its kelurahan's centre, sized from its
  area in hectares. Stored with source "demo" and shown on the map as "buatan untuk demo, bukan
  peta resmi". This is NOT the real map of Palangka Raya.
- The BKMs' AD/ART, PJM/RPLP and LPJ documents are published, so the public pages have some.

Everything goes through the services (and so through `bkm.geo`'s validation). Safe to run again:
geometry already stored is kept.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable

from . import services
from .models import Document, DocumentType, GeometrySource, Kecamatan, Kelurahan, SlumArea

# (kecamatan name, lon_min, lat_min, lon_max, lat_max): inside settings.MAP_BOUNDS.
KECAMATAN_BOXES = (
    ("Rakumpit", 113.62, -1.95, 114.05, -1.72),
    ("Bukit Batu", 113.62, -2.22, 113.84, -1.95),
    ("Jekan Raya", 113.84, -2.22, 113.93, -1.95),
    ("Pahandut", 113.93, -2.22, 114.05, -1.95),
    ("Sabangau", 113.80, -2.40, 114.05, -2.22),
)
PUBLISHED_DEMO_TYPES = (DocumentType.ADART, DocumentType.PJM_RPLP, DocumentType.LPJ)
WAVE_POINTS = 4  # inner points of each generated dividing line


def _wave(rng: random.Random, start: float, end: float, amplitude: float) -> Callable[[float], float]:
    """A piecewise-linear wobble f(t) over [start, end], 0 at both ends (shared by both neighbours)."""
    knots = [(start, 0.0)]
    for k in range(1, WAVE_POINTS + 1):
        knots.append((start + (end - start) * k / (WAVE_POINTS + 1), rng.uniform(-amplitude, amplitude)))
    knots.append((end, 0.0))

    def f(t: float) -> float:
        for (t0, v0), (t1, v1) in zip(knots, knots[1:], strict=False):
            if t0 <= t <= t1 or t0 >= t >= t1:
                return v0 + (v1 - v0) * ((t - t0) / (t1 - t0) if t1 != t0 else 0.0)
        return 0.0

    f.knots = [t for t, _v in knots]  # type: ignore[attr-defined]
    return f


def _cells(rng: random.Random, box: tuple[float, float, float, float], n: int) -> list[list[list[float]]]:
    """n rings tiling the box: rows split by wavy horizontal lines, each row by wavy vertical ones."""
    lon0, lat0, lon1, lat1 = box
    width, height = lon1 - lon0, lat1 - lat0
    rows = max(1, min(n, round(math.sqrt(n * height / width))))
    per_row = [n // rows + (1 if r < n % rows else 0) for r in range(rows)]
    row_h = height / rows
    # Horizontal line r (0 = bottom edge, rows = top edge): lat = base + wave(lon); the box edges stay straight.
    horizontal = [
        (lat0 + r * row_h, _wave(rng, lon0, lon1, row_h * 0.12) if 0 < r < rows else (lambda _t: 0.0))
        for r in range(rows + 1)
    ]

    def h_lat(r: int, lon: float) -> float:
        base, wave = horizontal[r]
        return base + wave(lon)

    def h_points(r: int, a: float, b: float) -> list[list[float]]:
        """Points of horizontal line r from lon a to lon b (its knots in between), in that direction."""
        knots = getattr(horizontal[r][1], "knots", [])
        inner = [t for t in knots if min(a, b) < t < max(a, b)]
        inner.sort(reverse=a > b)
        return [[t, h_lat(r, t)] for t in [a, *inner, b]]

    rings = []
    for r in range(rows):
        m = per_row[r]
        col_w = width / m
        # Vertical dividers of this row: lon = base + wave(lat) between the row's bottom and top lines.
        bottom_lat, top_lat = lat0 + r * row_h, lat0 + (r + 1) * row_h
        dividers = [
            (lon0 + c * col_w, _wave(rng, bottom_lat - row_h, top_lat + row_h, col_w * 0.12) if 0 < c < m else None)
            for c in range(m + 1)
        ]

        def corner(c: int, line: int, dividers: list = dividers) -> list[float]:  # type: ignore[type-arg]
            base, wave = dividers[c]
            lon = base
            for _ in range(3):  # where the divider meets the horizontal line
                lat = h_lat(line, lon)
                lon = base + (wave(lat) if wave else 0.0)
            return [lon, h_lat(line, lon)]

        def v_points(c: int, going_up: bool, dividers: list = dividers, r: int = r) -> list[list[float]]:  # type: ignore[type-arg]
            base, wave = dividers[c]
            low, high = corner(c, r), corner(c, r + 1)
            inner = [t for t in getattr(wave, "knots", []) if low[1] < t < high[1]] if wave else []
            pts = [low, *[[base + wave(t), t] for t in inner], high] if wave else [low, high]  # type: ignore[misc]
            return pts if going_up else pts[::-1]

        for c in range(m):
            bl, br = corner(c, r), corner(c + 1, r)
            ring = h_points(r, bl[0], br[0])[:-1]  # bottom, west to east
            ring += v_points(c + 1, True)[:-1]  # east side, going north
            tr, tl = corner(c + 1, r + 1), corner(c, r + 1)
            ring += h_points(r + 1, tr[0], tl[0])[:-1]  # top, east to west
            ring += v_points(c, False)[:-1]  # west side, going south
            ring.append(ring[0])
            rings.append([[round(x, 6), round(y, 6)] for x, y in ring])
    return rings


def _blob(rng: random.Random, centre: tuple[float, float], hectares: float, limit: float) -> list[list[float]]:
    """An irregular closed ring of about `hectares` around `centre`, radius at most `limit` degrees."""
    radius_m = math.sqrt(hectares * 10_000 / math.pi)
    radius = min(radius_m / 111_320 * 1.6, limit)  # drawn a little larger, so it shows at city zoom
    points = []
    n = 9
    for k in range(n):
        angle = 2 * math.pi * k / n + rng.uniform(-0.2, 0.2)
        r = radius * rng.uniform(0.7, 1.15)
        points.append([round(centre[0] + r * math.cos(angle), 6), round(centre[1] + r * math.sin(angle), 6)])
    points.append(points[0])
    return points


def _polygon_json(ring: list[list[float]]) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def seed(*, rng: random.Random, scale: str) -> None:
    from . import geo

    kelurahan_by_kec: dict[str, list[Kelurahan]] = {}
    for kel in Kelurahan.objects.select_related("kecamatan").order_by("code"):
        kelurahan_by_kec.setdefault(kel.kecamatan.name, []).append(kel)
    for name, *box in KECAMATAN_BOXES:
        kels = kelurahan_by_kec.get(name, [])
        if not kels or not Kecamatan.objects.filter(name=name).exists():
            continue
        cells = _cells(random.Random(f"{rng.random()}-{name}"), (box[0], box[1], box[2], box[3]), len(kels))
        for kel, ring in zip(kels, cells, strict=True):
            if kel.boundary is None:
                services.kelurahan_set_boundary(kelurahan=kel, geojson=_polygon_json(ring), source=GeometrySource.DEMO)
    seen: dict[int, int] = {}
    for area in SlumArea.objects.select_related("kelurahan").order_by("pk"):
        nth = seen[area.kelurahan_id] = seen.get(area.kelurahan_id, -1) + 1
        if area.geometry is not None or area.kelurahan.boundary is None:
            continue
        centre = geo.centroid(area.kelurahan.boundary)
        assert centre is not None
        centre = (centre[0] + 0.02 * nth, centre[1] - 0.01 * nth)  # a second area of the kelurahan beside the first
        ring = _blob(random.Random(f"{rng.random()}-{area.pk}"), centre, float(area.area_ha), limit=0.012)
        services.slum_area_set_geometry(area=area, geojson=_polygon_json(ring), source=GeometrySource.DEMO)
    for document in Document.objects.filter(doc_type__in=PUBLISHED_DEMO_TYPES, published=False):
        services.document_set_published(document=document, published=True)
