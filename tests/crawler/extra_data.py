"""Records the demo does not make but the crawler needs to reach every page kind."""

from __future__ import annotations


def add_extra_data() -> None:
    pass
