"""Settings of the slow-link bench's server: the portal's production settings, with the
fingerprinted, compressed static files collected into var/ (not the checkout's staticfiles/)."""

from pokja_portal.settings.base import *  # noqa: F403
from pokja_portal.settings.base import BASE_DIR

STATIC_ROOT = BASE_DIR / "var" / "bench-slowlink-static"
