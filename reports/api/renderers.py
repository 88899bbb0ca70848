"""CSV for the open-data portal: `?format=csv` on any list endpoint (all rows, no paging), written by core.exports."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BaseRenderer

from core import exports


def _flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = ", ".join(str(v) for v in value)
        else:
            flat[name] = value
    return flat


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        rows = [_flatten(r) for r in (data if isinstance(data, list) else [data])]
        header: list[str] = []
        for row in rows:
            header.extend(k for k in row if k not in header)
        table = [header] + [[row.get(k) for k in header] for row in rows]
        return exports.csv_bytes(table)


class GeoJSONRenderer(BaseRenderer):
    """`?format=geojson`: the whole filtered set as one FeatureCollection (the list's results are Features)."""

    media_type = "application/geo+json"
    format = "geojson"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        import json

        from rest_framework.utils.encoders import JSONEncoder

        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        if isinstance(data, list):
            data = {"type": "FeatureCollection", "features": data}
        return json.dumps(data, cls=JSONEncoder, ensure_ascii=False).encode()
