"""An anonymous visitor: the public overview and a public BKM page render with the map (Leaflet)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from bkm import services
from bkm.models import Kelurahan
from tests.conftest import screenshot
from tests.factories import BKMFactory, BoardMemberFactory, SlumAreaFactory


def _square(lon: float, lat: float, size: float = 0.02) -> str:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_anonymous_visitor_sees_overview_and_bkm_page_with_map(page):
    menteng = Kelurahan.objects.get(name="Menteng")
    palangka = Kelurahan.objects.get(name="Palangka")
    services.kelurahan_set_boundary(kelurahan=menteng, geojson=_square(113.88, -2.22))
    services.kelurahan_set_boundary(kelurahan=palangka, geojson=_square(113.90, -2.22))
    area = SlumAreaFactory(kelurahan=menteng, name="Menteng RT rawan genangan")
    services.slum_area_set_geometry(area=area, geojson=_square(113.885, -2.215, 0.005))
    bkm = BKMFactory(name="BKM Isen Mulang Menteng", kelurahan=menteng)
    BoardMemberFactory(bkm=bkm, name="Yuliana Bungai", nik="6271014503850002", phone="081349001122")
    BKMFactory(name="BKM Betang Palangka", kelurahan=palangka)

    page.goto(page.base_url + "/")
    expect(page.get_by_role("heading", name="BKM/LKM Kota Palangka Raya: data publik")).to_be_visible()
    expect(page.get_by_test_id("login-link")).to_be_visible()
    map_box = page.get_by_test_id("map")
    expect(map_box).to_have_attribute("data-ready", "1")
    expect(map_box.locator(".leaflet-container, .leaflet-map-pane").first).to_be_attached()
    # Two kelurahan polygons and one slum-area polygon drawn as SVG paths, no tile layer by default.
    expect(map_box.locator("path.leaflet-interactive")).to_have_count(3)
    assert map_box.locator(".leaflet-tile").count() == 0
    screenshot(page, "public-overview")

    page.get_by_role("link", name="BKM Isen Mulang Menteng").click()
    expect(page.get_by_test_id("bkm-name")).to_have_text("BKM Isen Mulang Menteng")
    expect(page.get_by_test_id("board")).to_contain_text("Yuliana Bungai")
    expect(page.get_by_test_id("board")).not_to_contain_text("081349001122")
    expect(page.locator("body")).not_to_contain_text("6271014503850002")
    map_box = page.get_by_test_id("map")
    expect(map_box).to_have_attribute("data-ready", "1")
    expect(map_box.locator("path.leaflet-interactive")).to_have_count(3)
    # The focused kelurahan is outlined thicker.
    expect(map_box.locator('path.leaflet-interactive[stroke-width="3"]')).to_have_count(1)
    # A click on a polygon opens its popup (no inline script: CSP would have blocked the map otherwise).
    map_box.locator('path.leaflet-interactive[stroke-width="3"]').click(force=True)
    expect(map_box.locator(".leaflet-popup-content")).to_contain_text("Menteng")
    screenshot(page, "public-bkm")
