"""What a user sees after login: a registry, so `core` imports no app.

Each app registers in its `AppConfig.ready()`:

- a `LandingPage` takes the whole home page for the users it applies to (the
  reports app's city dashboard for staff; the public app's city overview for a
  visitor who is not signed in); the first that applies, by order, wins. With no
  page for an anonymous visitor, `/` sends them to the login page;
- otherwise the home page shows every `LandingPanel` whose `build(user)`
  returns data (a panel returns None for users it has nothing for): the UPK's
  dues and arrears for a manager, the forum's latest topics and meetings, the
  BKM's record and what its coordinator must fix.

Builders read through their app's selectors and permissions, and run a fixed
number of queries (the landing pages have query-count tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class LandingPage:
    key: str
    applies: Callable[[Any], bool]
    view: Callable[[HttpRequest], HttpResponse]
    order: int = 100


@dataclass(frozen=True)
class LandingPanel:
    key: str
    template: str
    build: Callable[[Any], dict[str, Any] | None]
    order: int = 100


_PAGES: dict[str, LandingPage] = {}
_PANELS: dict[str, LandingPanel] = {}


def register_page(page: LandingPage) -> LandingPage:
    _PAGES[page.key] = page
    return page


def register_panel(panel: LandingPanel) -> LandingPanel:
    _PANELS[panel.key] = panel
    return panel


def page_for(user: Any) -> LandingPage | None:
    for page in sorted(_PAGES.values(), key=lambda p: (p.order, p.key)):
        if page.applies(user):
            return page
    return None


def panels_for(user: Any) -> list[tuple[LandingPanel, dict[str, Any]]]:
    """The panels with something for `user`, in order, each with its data."""
    shown = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key)):
        data = panel.build(user)
        if data is not None:
            shown.append((panel, data))
    return shown
