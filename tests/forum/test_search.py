from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from forum.search import highlight, search_posts
from tests.forum.factories import PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db


def test_indonesian_text_search_configuration_exists():
    with connection.cursor() as cursor:
        cursor.execute("SELECT cfgname FROM pg_ts_config WHERE cfgname = 'indonesian'")
        assert cursor.fetchone() is not None
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = 'forum_post_search'")
        assert cursor.fetchone() is not None


def test_search_posts_stems_pinjaman_to_meminjam(staff_admin, general):
    post = PostFactory(thread=ThreadFactory(category=general), body_source="Banyak KSM ingin meminjam lagi")
    PostFactory(thread=ThreadFactory(category=general), body_source="Drainase tersumbat")
    hits = search_posts(user=staff_admin, query="pinjaman")
    assert [h.post for h in hits] == [post]
    assert "<mark>meminjam</mark>" in hits[0].snippet


def test_search_posts_ranks_title_above_body(staff_admin, general):
    body_only = PostFactory(
        thread=ThreadFactory(category=general, title="Hal lain"), body_source="sanitasi disebut sekali"
    )
    in_title = PostFactory(thread=ThreadFactory(category=general, title="Sanitasi komunal"), body_source="isi biasa")
    assert [h.post for h in search_posts(user=staff_admin, query="sanitasi")] == [in_title, body_only]


def test_search_snippet_is_escaped(staff_admin, general):
    PostFactory(thread=ThreadFactory(category=general), body_source="<script>alert(1)</script> pinjaman <b>tebal</b>")
    snippet = search_posts(user=staff_admin, query="pinjaman")[0].snippet
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "&lt;script&gt;" in snippet or "script" not in snippet


def test_highlight_unbalanced_sentinels_are_dropped():
    assert highlight("a \x02b c") == "a b c"
    assert highlight("<i>\x02x\x03</i>") == "&lt;i&gt;<mark>x</mark>&lt;/i&gt;"


def test_search_websearch_syntax_does_not_error(staff_admin):
    for query in ['"pinjaman bergulir"', "a & b | !", "-kumuh", "' OR 1=1 --", "::", "(((("]:
        search_posts(user=staff_admin, query=query)


def test_search_view_lists_hits(client, member, general):
    ThreadFactory(category=general, title="Peminjam baru")
    post = PostFactory(thread=ThreadFactory(category=general, title="Tentang pinjaman"), body_source="peminjaman KSM")
    client.force_login(member)
    html = client.get(reverse("forum:search"), {"q": "meminjam"}).content.decode()
    assert "Tentang pinjaman" in html and reverse("forum:post_redirect", args=[post.pk]) in html


def test_search_posts_sqlite_fallback_uses_icontains_with_permissions(
    monkeypatch, far_member, member, home_kecamatan_category, general
):
    from forum import search

    monkeypatch.setattr(search, "is_postgres", lambda: False)
    open_post = PostFactory(thread=ThreadFactory(category=general), body_source="Pinjaman <b>bergulir</b> untuk KSM")
    PostFactory(thread=ThreadFactory(category=home_kecamatan_category), body_source="Pinjaman rahasia kecamatan")
    hits = search.search_posts(user=far_member, query="pinjaman")
    assert [h.post for h in hits] == [open_post]
    assert "<b>" not in hits[0].snippet
    assert len(search.search_posts(user=member, query="pinjaman")) == 2


def test_search_page_pages_through_the_hits_twenty_at_a_time(client, staff_admin, general):
    thread = ThreadFactory(category=general)
    posts = [PostFactory(thread=thread, body_source=f"Cicilan pinjaman ke-{i}") for i in range(25)]
    client.force_login(staff_admin)
    url = reverse("forum:search")
    first = client.get(url, {"q": "pinjaman"}).content.decode()
    assert first.count('data-testid="search-hit"') == 20
    assert "Hasil 1–20 untuk" in first and 'data-testid="search-next"' in first
    assert 'data-testid="search-previous"' not in first
    second = client.get(url, {"q": "pinjaman", "page": "2"}).content.decode()
    assert second.count('data-testid="search-hit"') == 5
    assert "Hasil 21–25 untuk" in second and 'data-testid="search-previous"' in second
    assert 'data-testid="search-next"' not in second
    shown = {h.post.pk for h in search_posts(user=staff_admin, query="pinjaman", limit=20)}
    shown |= {h.post.pk for h in search_posts(user=staff_admin, query="pinjaman", limit=20, offset=20)}
    assert shown == {p.pk for p in posts}  # no hit twice, none left out


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999999999999", "²", "1.5"])
def test_search_page_takes_any_page_number(client, staff_admin, general, page):
    PostFactory(thread=ThreadFactory(category=general), body_source="Cicilan pinjaman")
    client.force_login(staff_admin)
    response = client.get(reverse("forum:search"), {"q": "pinjaman", "page": page})
    assert response.status_code == 200
