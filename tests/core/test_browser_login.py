import pytest

from tests.conftest import browser_login, screenshot
from tests.factories import UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_login_in_chromium_shows_role_navigation(page):
    UserFactory(username="staf", role="staff_admin", first_name="Sri", last_name="Wahyuni")
    browser_login(page, "staf")
    assert page.locator("[data-testid=user-menu]").inner_text().startswith("Sri Wahyuni")
    assert page.get_by_role("link", name="Admin").is_visible()
    screenshot(page, "core-home")
