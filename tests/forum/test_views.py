from __future__ import annotations

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template import Context, Template
from django.urls import reverse

from forum import services
from forum.models import ModerationLog, Notification, Post, Thread, ThreadRead
from forum.views import thread_detail
from tests.factories import UserFactory
from tests.forum.factories import PostFactory, ThreadFactory

pytestmark = pytest.mark.django_db


def test_thread_page_with_1000_replies_pages_with_bounded_queries(
    client, member, general, django_assert_max_num_queries
):
    thread = ThreadFactory(category=general, title="Topik panjang")
    authors = [UserFactory(role="bkm_member") for _ in range(5)]
    Post.objects.bulk_create(
        [
            Post(
                thread=thread,
                author=authors[i % 5],
                body_source=f"balasan {i}",
                body_html=f"<p>balasan {i}</p>",
                content_hash=str(i),
            )
            for i in range(1001)
        ]
    )
    Thread.objects.filter(pk=thread.pk).update(reply_count=1000)
    client.force_login(member)
    client.get(reverse("forum:index"))  # the navigation's grants and unread count are now kept (core.versions)
    for page in (1, 25, 51):
        with django_assert_max_num_queries(9):  # each page moves the read watermark (one upsert)
            response = client.get(reverse("forum:thread", args=[thread.pk]), {"page": page})
        assert response.status_code == 200
    assert "balasan 1000" in response.content.decode()


def test_category_page_queries_bounded(client, member, general, django_assert_max_num_queries):
    for _ in range(60):
        ThreadFactory(category=general)
    client.force_login(member)
    client.get(reverse("forum:index"))  # the navigation's grants and unread count are now kept (core.versions)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("forum:category", args=[general.slug])).status_code == 200


def test_new_thread_via_form_then_reply_marks_unread_for_others(client, member, member_b, general):
    client.force_login(member)
    response = client.post(
        reverse("forum:thread_create", args=[general.slug]),
        {"title": "Rembug warga bulan depan", "body": "Mohon masukan @anggotab"},
    )
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert Notification.objects.filter(user=member_b, kind="mention").exists()
    client.force_login(member_b)
    listing = client.get(reverse("forum:category", args=[general.slug])).content.decode()
    assert "belum dibaca" in listing
    client.get(reverse("forum:thread", args=[thread.pk]))
    assert ThreadRead.objects.filter(user=member_b, thread=thread).exists()
    listing = client.get(reverse("forum:category", args=[general.slug])).content.decode()
    assert "belum dibaca" not in listing
    # A new reply makes it "new since your last visit".
    services.post_reply(user=member, thread=thread, source="Tambahan informasi")
    listing = client.get(reverse("forum:category", args=[general.slug])).content.decode()
    assert "baru sejak kunjungan terakhir" in listing
    page = client.get(reverse("forum:thread", args=[thread.pk])).content.decode()
    assert "forum-post-new" in page


def test_quote_prefills_reply_box(client, member, general):
    thread = services.thread_create(user=member, category=general, title="Dikutip nanti", source="Kalimat asli")
    post = thread.posts.get()
    client.force_login(member)
    html = client.get(reverse("forum:thread", args=[thread.pk]), {"quote": post.pk}).content.decode()
    assert "&gt; Kalimat asli" in html


@pytest.mark.parametrize(
    "query", [{}, {"page": "1"}, {"quote": "1", "page": "1"}, {"x": "987654321", "page": "1"}, {"q": "a b&c"}]
)
def test_quote_links_are_the_pages_query_string_with_quote(rf, member, general, query):
    """Each post's "Kutip" link is what {% querystring quote=post.pk %} writes for the page's own query."""
    thread = services.thread_create(user=member, category=general, title="Kutipan", source="Satu")
    reply = services.post_reply(user=member, thread=thread, source="Dua")
    request = rf.get(reverse("forum:thread", args=[thread.pk]), query)
    request.user = member
    request.session = {}
    request._messages = FallbackStorage(request)
    html = thread_detail(request, pk=thread.pk).content.decode()
    tag = Template("{% querystring quote=pk %}")
    for post in (thread.posts.get(pk=reply.pk), thread.posts.order_by("pk").first()):
        context = Context({"pk": post.pk})
        context.request = request
        assert f'<a href="{tag.render(context)}#reply">' in html  # the tag's output, escaped as in the page


def test_locked_thread_page_has_no_reply_form(client, member, staff_admin, general):
    thread = services.thread_create(user=member, category=general, title="Akan dikunci", source="Isi")
    client.force_login(staff_admin)
    client.post(reverse("forum:thread_moderate", args=[thread.pk]), {"action": "lock", "reason": "Selesai"})
    assert ModerationLog.objects.filter(action="lock").exists()
    client.force_login(member)
    html = client.get(reverse("forum:thread", args=[thread.pk])).content.decode()
    assert 'data-testid="reply-form"' not in html and 'data-testid="reply-closed"' in html
    response = client.post(reverse("forum:thread_reply", args=[thread.pk]), {"body": "coba"})
    assert response.status_code == 403


def test_moderation_views_forbidden_for_members(client, member, general):
    thread = ThreadFactory(category=general)
    post = PostFactory(thread=thread)
    client.force_login(member)
    assert (
        client.post(
            reverse("forum:thread_moderate", args=[thread.pk]), {"action": "pin", "reason": "x y z"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("forum:post_moderate", args=[post.pk]), {"action": "hide_post", "reason": "xyz"}
        ).status_code
        == 403
    )
    assert client.get(reverse("forum:reports")).status_code == 403
    assert client.get(reverse("forum:moderation_log")).status_code == 403
    assert client.get(reverse("forum:user_deactivate", args=[member.pk])).status_code == 403
    thread.refresh_from_db()
    assert not thread.is_pinned


def test_report_flow_through_views(client, member, staff_admin, general):
    post = PostFactory(thread=ThreadFactory(category=general))
    client.force_login(member)
    client.post(reverse("forum:post_report", args=[post.pk]), {"reason": "Isinya menyinggung"})
    client.force_login(staff_admin)
    queue = client.get(reverse("forum:reports")).content.decode()
    assert "Isinya menyinggung" in queue
    report = post.reports.get()
    client.post(reverse("forum:report_close", args=[report.pk]), {"outcome": "no_action", "note": "Aman"})
    report.refresh_from_db()
    assert report.status == "closed"


def test_deactivate_through_view(client, staff_admin, member):
    client.force_login(staff_admin)
    client.post(reverse("forum:user_deactivate", args=[member.pk]), {"reason": "Akun dipakai spam"})
    member.refresh_from_db()
    assert not member.is_active


def test_post_redirect_lands_on_right_page(client, member, general, settings):
    settings.FORUM_POSTS_PER_PAGE = 5
    thread = ThreadFactory(category=general)
    posts = [PostFactory(thread=thread) for _ in range(12)]
    client.force_login(member)
    response = client.get(reverse("forum:post_redirect", args=[posts[11].pk]))
    assert response["Location"].endswith(f"?page=3#post-{posts[11].pk}")


def test_nav_shows_unread_count(client, member, member_b, general):
    thread = services.thread_create(user=member, category=general, title="Hitung notifikasi", source="Isi")
    services.post_reply(user=member_b, thread=thread, source="Balasan pertama")
    client.force_login(member)
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="forum-unread-count">1<' in html
    notification = Notification.objects.get(user=member)
    client.get(reverse("forum:notification_open", args=[notification.pk]))
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="forum-unread-count"' not in html


def test_settings_and_watch_forms(client, member, general):
    thread = ThreadFactory(category=general)
    client.force_login(member)
    client.post(reverse("forum:settings"), {"default_watch_level": "email", "daily_digest": "on"})
    member.forum_profile.refresh_from_db()
    assert member.forum_profile.daily_digest and member.forum_profile.default_watch_level == "email"
    client.post(reverse("forum:thread_watch", args=[thread.pk]), {"level": "none"})
    assert member.forum_watches.get(thread=thread).level == "none"


def test_all_forum_pages_render_for_each_role(client, member, staff_admin, staff_viewer, upk_manager, general):
    thread = services.thread_create(user=member, category=general, title="Halaman lengkap", source="Isi @staf")
    for user in (member, staff_admin, staff_viewer, upk_manager):
        client.force_login(user)
        for url in [
            reverse("forum:index"),
            reverse("forum:category", args=[general.slug]),
            reverse("forum:thread", args=[thread.pk]),
            reverse("forum:notifications"),
            reverse("forum:settings"),
            reverse("forum:search") + "?q=isi",
            reverse("forum:meetings"),
        ]:
            assert client.get(url).status_code == 200, (user.role, url)


def test_user_deactivate_view_is_staff_work(client, category_moderator, member, staff_admin):
    client.force_login(category_moderator)
    assert client.get(reverse("forum:user_deactivate", args=[member.pk])).status_code == 403
    assert client.post(reverse("forum:user_deactivate", args=[member.pk]), {"reason": "Spam"}).status_code == 403
    member.refresh_from_db()
    assert member.is_active
    # A deactivation staff made stays out of a category moderator's log.
    client.force_login(staff_admin)
    client.post(reverse("forum:user_deactivate", args=[member.pk]), {"reason": "Akun dipakai spam"})
    client.force_login(category_moderator)
    assert "Akun dipakai spam" not in client.get(reverse("forum:moderation_log")).content.decode()


def test_post_anchor_is_the_post_redirect_target_for_large_ids(client, member, general):
    """post_redirect sends the reader to #post-<id>; the article's id must be that id unformatted
    (USE_THOUSAND_SEPARATOR wrote post-123.456 for a six-digit id)."""
    thread = ThreadFactory(category=general, author=member)
    PostFactory(thread=thread, author=member, id=123456)
    client.force_login(member)
    redirect = client.get(reverse("forum:post_redirect", args=[123456]))
    assert redirect.url.endswith("#post-123456")
    page = client.get(redirect.url.split("#")[0]).content.decode()
    assert 'id="post-123456"' in page
