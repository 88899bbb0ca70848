"""The journeys reuse the fixtures other test packages build their data with, and add a phone."""

import pytest

from tests.reports.conftest import collaboration

__all__ = ["collaboration", "phone"]


@pytest.fixture
def phone(_playwright_browser, live_server):
    """A fresh context as a 390 px touch phone (viewport 390×844, mobile, touch), in Indonesian."""
    context = _playwright_browser.new_context(
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()
