"""Settings of the page bench's server: the portal's own, plus the floor view's URL."""

from pokja_portal.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.pages_urls"
