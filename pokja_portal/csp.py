"""Content Security Policy helpers read by the settings (no Django import: settings load first)."""

from __future__ import annotations

from urllib.parse import urlsplit


def tile_source(url: str) -> str:
    """The CSP source that allows a tile URL template's host, e.g.
    "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png" → "https://*.tile.openstreetmap.org"."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"MAP_TILE_URL must be an http(s) URL template, not {url!r}")
    host = parts.netloc
    if "{" in host:
        # A subdomain placeholder ({s}, {a-c}) stands for any one label.
        labels = host.split(".")
        host = ".".join("*" if "{" in label else label for label in labels)
    return f"{parts.scheme}://{host}"
