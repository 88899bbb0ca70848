"""A BKM member, every step a click on what the page renders (issue 10, item 2).

Landing page -> latest topics -> a thread -> "Kutip" -> a reply that mentions another member
(picked from the autocomplete) -> the forum search finds the reply.
"""

from __future__ import annotations

import pytest

from forum.models import Category, Post
from tests.conftest import browser_login, screenshot
from tests.factories import UserFactory
from tests.forum.factories import PostFactory, ThreadFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_journey_quotes_mentions_and_finds_the_reply(page, bkm):
    coordinator = UserFactory(
        username="koordinator", role="bkm_member", bkm=bkm, is_coordinator=True, first_name="Rina", last_name="Ketua"
    )
    UserFactory(username="anggota", role="bkm_member", bkm=bkm, first_name="Budi", last_name="Anggota")
    UserFactory(username="sarinah", role="bkm_member", bkm=bkm, first_name="Sarinah", last_name="Bendahara")
    category = Category.objects.get(slug="kelembagaan-bkm")
    older = ThreadFactory(category=category, author=coordinator, title="Jadwal piket sekretariat")
    PostFactory(thread=older, author=coordinator, body_source="Piket bergantian setiap Senin.")
    thread = ThreadFactory(category=category, author=coordinator, title="Rapat anggota tahunan")
    PostFactory(thread=thread, author=coordinator, body_source="Rapat tahunan membahas laporan keuangan BKM.")

    browser_login(page, "anggota")
    latest = page.get_by_test_id("latest-threads")
    assert latest.get_by_role("link").all_inner_texts()[:2] == ["Rapat anggota tahunan", "Jadwal piket sekretariat"]
    latest.get_by_role("link", name="Rapat anggota tahunan").click()
    page.get_by_test_id("thread-title").wait_for()

    # Quote the coordinator's post: the reply box opens with it, attributed.
    post = page.get_by_test_id("post").filter(has_text="Rapat tahunan membahas")
    post.get_by_role("link", name="Kutip").click()
    page.wait_for_url(lambda url: "quote=" in url)
    editor = page.get_by_test_id("reply-form").locator("textarea")
    assert editor.input_value().startswith("> **Rina Ketua** menulis:\n> Rapat tahunan membahas laporan keuangan BKM.")

    # Mention a member through the autocomplete, then send.
    editor.press("End")
    editor.press("Control+End")
    editor.press_sequentially("Setuju, @sari", delay=20)
    page.locator(".forum-mention-pick[data-username=sarinah]").click()
    editor.press_sequentially("siapkan neraca kelompok Anggrek.", delay=5)
    assert editor.input_value().endswith("Setuju, @sarinah siapkan neraca kelompok Anggrek.")
    page.get_by_role("button", name="Kirim balasan").click()
    reply = page.get_by_test_id("post").filter(has_text="kelompok Anggrek")
    reply.wait_for()
    assert "Membalas Rina Ketua" in reply.inner_text()
    assert "Rapat tahunan membahas laporan keuangan BKM." in reply.locator("blockquote").inner_text()
    assert reply.locator(".mention").inner_text() == "@sarinah"
    saved = Post.objects.get(body_source__contains="Anggrek")
    assert saved.quote_of is not None and saved.quote_of.thread_id == thread.pk

    # The forum search finds the reply.
    page.get_by_test_id("forum-search-input").fill("neraca Anggrek")
    page.get_by_test_id("forum-search-input").press("Enter")
    hit = page.get_by_test_id("search-hit")
    hit.first.wait_for()
    assert hit.count() == 1
    assert "Rapat anggota tahunan" in hit.inner_text() and "Anggrek" in hit.inner_text()
    hit.click()
    page.wait_for_url(lambda url: f"#post-{saved.pk}" in url)
    screenshot(page, "journey-member")
