from __future__ import annotations

import pytest

from forum.models import Category, Thread
from tests.conftest import browser_login, screenshot
from tests.factories import BKMFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_forum_mention_notification_lock_and_stemmed_search(page):
    bkm = BKMFactory()
    UserFactory(
        username="koordinator",
        role="bkm_member",
        bkm=bkm,
        is_coordinator=True,
        first_name="Rina",
        last_name="Koordinator",
    )
    UserFactory(username="anggota", role="bkm_member", bkm=bkm, first_name="Budi", last_name="Anggota")
    UserFactory(username="staf", role="staff_admin", first_name="Sri", last_name="Staf")
    category = Category.objects.get(slug="pinjaman-bergulir-upk")

    # 1. A BKM member starts a thread mentioning another member (autocomplete suggests him).
    browser_login(page, "koordinator")
    page.goto(f"{page.base_url}/forum/kategori/{category.slug}/")
    page.click("[data-testid=new-thread]")
    page.fill("input[name=title]", "KSM yang meminjam ulang sebelum lunas")
    editor = page.locator("textarea[name=body]")
    editor.fill("Mohon pendapat ")
    editor.press_sequentially("@angg", delay=30)
    page.locator(".forum-mention-pick[data-username=anggota]").click()
    assert editor.input_value() == "Mohon pendapat @anggota "
    editor.press_sequentially("tentang KSM yang ingin meminjam lagi.")
    page.click("button[type=submit]:has-text('Kirim topik')")
    page.wait_for_selector("[data-testid=thread-title]")
    thread = Thread.objects.get()
    assert page.locator(".forum-body .mention").first.inner_text() == "@anggota"

    # 2. The other member logs in and sees the notification.
    page.context.clear_cookies()
    browser_login(page, "anggota")
    assert page.locator("[data-testid=forum-unread-count]").inner_text() == "1"
    page.click("[data-testid=forum-notifications]")
    notification = page.locator("[data-testid=notification]").first
    assert "menyebut Anda" in notification.inner_text()
    notification.click()
    page.wait_for_selector("[data-testid=thread-title]")
    assert page.locator("[data-testid=thread-title]").inner_text() == thread.title

    # 3. A moderator locks the thread.
    page.context.clear_cookies()
    browser_login(page, "staf")
    page.goto(f"{page.base_url}/forum/topik/{thread.pk}/")
    page.click(".forum-mod-panel summary")
    page.fill("#mod-reason", "Pertanyaan sudah terjawab di rapat")
    page.click("[data-testid=lock-thread]")
    page.wait_for_selector("[data-testid=thread-locked]")

    # 4. The first member can no longer reply.
    page.context.clear_cookies()
    browser_login(page, "koordinator")
    page.goto(f"{page.base_url}/forum/topik/{thread.pk}/")
    assert page.locator("[data-testid=reply-closed]").is_visible()
    assert page.locator("[data-testid=reply-form]").count() == 0
    screenshot(page, "forum-thread")

    # 5. Search finds the thread by a stemmed word: "pinjaman" matches "meminjam".
    page.fill("[data-testid=forum-search-input]", "pinjaman")
    page.press("[data-testid=forum-search-input]", "Enter")
    page.wait_for_selector("[data-testid=search-hit]")
    hit = page.locator("[data-testid=search-hit]").first
    assert thread.title in hit.inner_text()
    assert hit.locator("mark").count() >= 1
    screenshot(page, "forum-search")
