"""axe-core in headless Chromium on pages the crawler reached.

Chromium does not talk to a server: each page is fetched with the same Django
test Client the crawl used (same role, same database transaction: nothing is
committed) and handed to Chromium by a Playwright route handler, which also
serves the static files from disk. axe-core (vendored, see axe/README.md)
is added to every page as an init script; `bypass_csp` lets it run under the
portal's Content Security Policy. Violations of impact "serious" or "critical"
are findings.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from tests.crawler.engine import BROWSER_HEADERS, Finding

AXE_VERSION = "4.14.1"
AXE_JS = Path(__file__).parent / "axe" / "axe.min.js"
ORIGIN = "http://portal.test"
FAILING_IMPACTS = ("serious", "critical")

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => {
      const contrast = n.any.map(c => c.data).find(d => d && d.contrastRatio);
      return n.target.join(" ") + (contrast ? ` (${contrast.fgColor} on ${contrast.bgColor}: ${contrast.contrastRatio}:1)` : "");
    }),
    count: v.nodes.length,
  }));
}"""


def _answer(pages: dict[str, tuple[int, dict[str, str], bytes]], route, request) -> None:  # type: ignore[no-untyped-def]
    """Answer Chromium without touching the database.

    Playwright calls route handlers on another greenlet, where Django would
    open a second database connection that cannot see the test's uncommitted
    data; so the pages are fetched beforehand in the test's own context and
    handed over here. Static files come from the finders; anything else the
    page asks for later (htmx polling) gets an empty answer.
    """
    parts = urlsplit(request.url)
    if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
        route.abort()
        return
    static_url = settings.STATIC_URL or "/static/"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.path.startswith(static_url):
        found = finders.find(parts.path[len(static_url) :])
        if found:
            route.fulfill(path=str(found))
        else:
            route.fulfill(status=404, body="")
    elif path in pages:
        status, headers, body = pages[path]
        route.fulfill(status=status, headers=headers, body=body)
    else:
        route.fulfill(status=204, body="")


def _fetch(client: Client, url: str) -> tuple[int, dict[str, str], bytes]:
    response = client.get(url, **BROWSER_HEADERS)
    return response.status_code, dict(response.items()), response.content


def axe_findings(browser, client: Client, urls: list[str]) -> list[Finding]:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        locale="en-US",  # an English-speaking browser: the portal stays Indonesian anyway
        timezone_id="Asia/Jakarta",
        viewport={"width": 1280, "height": 900},
        bypass_csp=True,
        service_workers="block",
    )
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE_JS))
    pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
    context.route(re.compile(".*"), lambda route, request: _answer(pages, route, request))
    findings = []
    try:
        page = context.new_page()
        for url in urls:
            pages.clear()
            pages[url] = _fetch(client, url)
            page.goto(ORIGIN + url, wait_until="load")
            for violation in page.evaluate(RUN_AXE):
                if violation["impact"] in FAILING_IMPACTS:
                    detail = (
                        f"axe {violation['id']} ({violation['impact']}): {violation['help']} — "
                        f"{violation['count']} element(s), e.g. {'; '.join(violation['nodes'])}"
                    )
                    findings.append(Finding("axe", url, detail))
    finally:
        context.close()
    return findings
