"""The manager's field pages on a phone (issue 14): nothing wider than 360 px, no table in a
sideways scroll box, the decisive figures on screen, no third-party host, and the transfer budget.

Budget, as Chromium measures it on the live server in production mode (DEBUG off, GZipMiddleware):
pages count their encoded (compressed) size and headers as received; static files count the size of
the gzip copy `collectstatic` writes and WhiteNoise serves (the test server hands out the plain
file; `test_static_files_served_compressed_and_immutable` checks the production serving). A repeat
visit fetches the page again (signed-in pages are `no-store`) but no static file: their hashed
names are served `immutable`, so the browser keeps them.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from forum.models import Category
from tests.conftest import browser_login, screenshot
from tests.crawler.axe import AXE_JS
from tests.factories import UserFactory
from tests.forum.factories import PostFactory, ThreadFactory
from upk import services
from upk.queries import today
from upk.services.registry import ksm_chair_update

from .factories_ui import fund, make_portfolio

FIRST_LOAD_BUDGET = 60 * 1024
REPEAT_BUDGET = 15 * 1024
PHONE = {"width": 360, "height": 780}


@cache
def _gzip_size(path: str) -> int:
    found = finders.find(path)
    assert found, path
    return len(gzip.compress(Path(found).read_bytes(), compresslevel=9))


class Transfer:
    """What one navigation moved: bytes of pages/XHR, bytes of static files, the hosts asked."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.requests: list = []
        page.on("requestfinished", self.record)

    def record(self, request) -> None:  # type: ignore[no-untyped-def]
        self.requests.append(request)

    def total(self, *, static: bool) -> int:
        size = 0
        for request in self.requests:
            path = urlsplit(request.url).path
            is_static = path.startswith(settings.STATIC_URL)
            if is_static != static:
                continue
            sizes = request.sizes()
            body = _gzip_size(path[len(settings.STATIC_URL) :]) if is_static else sizes["responseBodySize"]
            size += body + sizes["responseHeadersSize"]
        return size

    def hosts(self) -> set[str]:
        return {urlsplit(r.url).netloc for r in self.requests if not r.url.startswith("data:")}


def _visit(page, url: str) -> Transfer:  # type: ignore[no-untyped-def]
    transfer = Transfer(page)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("requestfinished", transfer.record)
    return transfer


WIDTHS = """() => {
  const scrollers = [...document.querySelectorAll('.table-responsive')]
    .filter(b => b.scrollWidth > b.clientWidth + 1)
    .map(b => (b.querySelector('table') || b).getAttribute('data-testid') || b.className);
  return {page: document.documentElement.scrollWidth, scrollers: scrollers};
}"""


def _assert_fits(page, name: str) -> None:  # type: ignore[no-untyped-def]
    widths = page.evaluate(WIDTHS)
    screenshot(page, f"phone-{name}")
    assert widths["page"] <= PHONE["width"], f"{name}: {widths['page']} px wide"
    assert not widths["scrollers"], f"{name}: tables scrolling sideways: {widths['scrollers']}"


def _on_screen(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Every element matching `selector` is displayed and inside the phone's width."""
    boxes = page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.right]; })"
    )
    assert boxes, selector
    for width, right in boxes:
        assert width > 0 and right <= PHONE["width"], (selector, width, right)


@pytest.fixture
def field_upk(bkm):
    """A UPK with 30 loans due today, its manager, and a paid collection sheet to look at."""
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_hp")
    manager.upk_units.set([upk])
    fund(upk, manager)
    loans = make_portfolio(upk, manager, 30, today=today(), months_ago=3, paid_up_to=1)
    ksm_chair_update(ksm=loans[0].ksm, actor=manager, chair_name="Ibu Sari", chair_phone="0812 3456 7890")
    return upk, manager, loans


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_field_pages_fit_a_360px_phone_within_budget(page, field_upk):
    upk, manager, loans = field_upk
    thread = ThreadFactory(category=Category.objects.get(slug="kelembagaan-bkm"), title="Jadwal penagihan")
    for i in range(8):
        PostFactory(thread=thread, body_source=f"Balasan {i}: pembukuan bulan ini sudah dikirim ke Bappedalitbang.")
    page.set_viewport_size(PHONE)
    browser_login(page, "manajer_hp")
    base = page.base_url
    origin = urlsplit(base).netloc
    budgets = {}
    signed_in = page.context.storage_state()

    # First and repeat visits of the three pages of the budget.
    sheet_url = f"{base}/upk/{upk.pk}/penagihan/"
    for name, url in (
        ("sheet", sheet_url),
        ("loan", f"{base}/upk/pinjaman/{loans[0].pk}/"),
        ("thread", f"{base}/forum/topik/{thread.pk}/"),
    ):
        # A fresh context has an empty cache; it carries the signed-in session over.
        cold = page.context.browser.new_context(
            viewport=PHONE,
            locale="id-ID",
            timezone_id="Asia/Jakarta",
            storage_state=signed_in,
            # Measured as HTTP moves it: the service worker (offline collection) would answer from its own
            # fetches, which Playwright does not attribute to the page.
            service_workers="block",
        )
        cold_page = cold.new_page()
        first = _visit(cold_page, url)
        repeat = _visit(cold_page, url)
        budgets[name] = (first.total(static=False) + first.total(static=True), repeat.total(static=False))
        assert first.hosts() == {origin}, f"{name}: third-party hosts {first.hosts() - {origin}}"
        if name == "sheet":
            assert cold_page.locator("tr[data-loan]").count() == 30
            assert cold_page.locator("input.split-input").count() == 0  # on demand only
        _assert_fits(cold_page, name)
        cold.close()
    print("\nfirst load / repeat (bytes):", budgets)
    for name, (first_bytes, repeat_bytes) in budgets.items():
        assert first_bytes <= FIRST_LOAD_BUDGET, f"{name}: first load {first_bytes} B"
        assert repeat_bytes <= REPEAT_BUDGET, f"{name}: repeat visit {repeat_bytes} B"

    # Every field page as the manager at 360 px: no sideways scrolling, decisive figures on screen.
    page.goto(f"{base}/upk/{upk.pk}/")
    _assert_fits(page, "upk-home")
    _on_screen(page, "[data-testid=outstanding]")
    _on_screen(page, "[data-testid=arrears] tbody tr:first-child td:nth-child(4)")
    _on_screen(page, "[data-testid=due-week] [data-testid=wa-reminder]")

    page.goto(f"{base}/upk/ksm/{loans[0].ksm_id}/")
    _assert_fits(page, "ksm")
    _on_screen(page, "[data-testid=ksm-loans] tbody td:nth-child(6)")  # Tunggakan

    page.goto(f"{base}/upk/pinjaman/{loans[0].pk}/")
    _assert_fits(page, "loan-card")
    _on_screen(page, "[data-testid=loan-arrears]")
    _on_screen(page, "[data-testid=schedule-v1] tbody td:last-child")  # Sisa
    _on_screen(page, "[data-testid=schedule-v1] tbody td:nth-last-child(2)")  # Dibayar

    page.goto(f"{base}/upk/pinjaman/{loans[0].pk}/bayar/")
    _assert_fits(page, "repayment")

    page.goto(sheet_url)
    # Open one member split (fetched on demand), pay every loan in full, send.
    split = page.locator(f"tr[data-split-for='{loans[0].number}']")
    split.get_by_text("Bagi per anggota").click()
    split.locator("input.split-input").first.wait_for()
    _assert_fits(page, "collection-sheet")
    for button in page.get_by_role("button", name="Penuh").all():
        button.click()
    page.get_by_test_id("submit-sheet").click()
    page.wait_for_selector("[data-testid=sheet-result]")
    _assert_fits(page, "collection-result")
    _on_screen(page, "[data-testid=sheet-result] [data-testid=arrears-after]")
    _on_screen(page, "[data-testid=sheet-result] [data-testid=wa-receipt]")

    page.goto(f"{base}/upk/{upk.pk}/buku-kas/")
    _assert_fits(page, "cash-book")
    _on_screen(page, "[data-testid=book] tbody tr:nth-child(2) td:last-child")  # Saldo

    rep = loans[0].repayments.order_by("-pk").first()
    page.goto(f"{base}/upk/angsuran/{rep.pk}/kuitansi/")
    _assert_fits(page, "receipt")
    _on_screen(page, "[data-testid=receipt-words]")
    _on_screen(page, "[data-testid=receipt-arrears]")
    assert page.get_by_test_id("wa-receipt").get_attribute("href").startswith("https://wa.me/6281234567890?text=")

    # Readable outdoors in the phone layout too (the crawler's axe-core check runs at 1280 px).
    checked = page.context.browser.new_context(
        viewport=PHONE, bypass_csp=True, storage_state=page.context.storage_state()
    )
    try:
        axe_page = checked.new_page()
        for url in (
            f"{base}/upk/{upk.pk}/",
            f"{base}/upk/pinjaman/{loans[0].pk}/",
            f"{base}/upk/{upk.pk}/penagihan/{rep.collection_sheet_id}/",
            f"{base}/upk/angsuran/{rep.pk}/kuitansi/",
            f"{base}/upk/{upk.pk}/buku-kas/",
        ):
            axe_page.goto(url)
            axe_page.add_script_tag(path=str(AXE_JS))
            failing = axe_page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['color-contrast']})).violations"
                ".map(v => v.nodes.map(n => n.target.join(' ') + ' ' + n.failureSummary))"
            )
            assert not failing, (url, failing)
    finally:
        checked.close()


def test_static_files_served_compressed_and_immutable(tmp_path, settings):
    """Production serving: `collectstatic` with the portal's storage writes hashed, compressed
    copies; WhiteNoise answers the hashed name compressed and immutable — also with DEBUG on
    (`make run`), where Django's manifest storage would give the plain name."""
    from django.core.management import call_command
    from django.templatetags.static import static
    from django.test import RequestFactory
    from whitenoise.middleware import WhiteNoiseMiddleware

    source = tmp_path / "src"
    (source / "css").mkdir(parents=True)
    (source / "css" / "x.css").write_text("body { color: #146c43; }\n" * 200)
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = tmp_path / "root"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "core.static.FingerprintedStaticStorage"}}
    settings.DEBUG = True
    call_command("collectstatic", "--noinput", verbosity=0)
    url = static("css/x.css")
    assert url != "/static/css/x.css" and url.endswith(".css")  # hashed although DEBUG is on
    middleware = WhiteNoiseMiddleware(lambda request: None)
    response = middleware(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip"))
    assert response.status_code == 200
    assert response["Content-Encoding"] in ("gzip", "br")
    assert "immutable" in response["Cache-Control"]
    assert int(response["Content-Length"]) < 200


@pytest.mark.django_db
def test_pages_gzipped_and_favicon_served(client, live_server):
    """HTML is compressed for a browser that accepts it; /favicon.ico answers."""
    import urllib.request

    user = UserFactory(role="staff_admin", username="staf_gzip")
    client.force_login(user)
    response = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert b'rel="icon"' in gzip.decompress(response.content)
    with urllib.request.urlopen(live_server.url + "/favicon.ico") as favicon:
        assert favicon.status == 200
        assert favicon.headers["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
