"""≥ 50 hostile inputs posted through the real reply form; the rendered thread
page must be inert. The checker is itself tested so a broken checker cannot
make this pass."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from forum import services
from forum.markup import render_markdown
from forum.models import Post
from tests.forum.hostile import HOSTILE_INPUTS, problems_in

pytestmark = pytest.mark.django_db


def test_corpus_is_large_and_distinct():
    assert len(HOSTILE_INPUTS) >= 50
    assert len(set(HOSTILE_INPUTS)) == len(HOSTILE_INPUTS)


@pytest.mark.parametrize(
    "bad",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JAVA&#x09;SCRIPT:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        '<img src="vbscript:x">',
        "<svg></svg>",
        '<p style="color:red">x</p>',
        '<script src="https://evil.example/x.js"></script>',
    ],
)
def test_checker_flags_known_bad_html(bad):
    assert problems_in(bad), bad


def test_checker_accepts_our_own_static_scripts():
    assert problems_in('<script src="/static/js/forum.js" defer></script><p>ok</p>') == []


@pytest.mark.parametrize("source", HOSTILE_INPUTS)
def test_render_markdown_output_is_inert(source):
    assert problems_in(render_markdown(source, known_usernames={"anggota"})) == []


@override_settings(FORUM_RATE_LIMIT_POSTS=1000, FORUM_POSTS_PER_PAGE=100)
def test_hostile_corpus_posted_through_form_renders_inert(client, member, general):
    thread = services.thread_create(user=member, category=general, title="Uji masukan berbahaya", source="Pembuka")
    client.force_login(member)
    url = reverse("forum:thread_reply", args=[thread.pk])
    for source in HOSTILE_INPUTS:
        response = client.post(url, {"body": source})
        assert response.status_code == 302, source
    assert Post.objects.filter(thread=thread).count() == len(HOSTILE_INPUTS) + 1
    page = client.get(reverse("forum:thread", args=[thread.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="post"') == len(HOSTILE_INPUTS) + 1
    assert problems_in(html) == []
    # Also every stored rendering, one by one, so one failure names its input.
    for post in Post.objects.filter(thread=thread):
        assert problems_in(post.body_html) == [], post.body_source
    # The CSP header is on the page as the second line of defence.
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


@override_settings(FORUM_RATE_LIMIT_POSTS=1000)
def test_hostile_thread_title_and_edit_render_inert(client, member, general):
    client.force_login(member)
    response = client.post(
        reverse("forum:thread_create", args=[general.slug]),
        {"title": "<script>alert(1)</script><img src=x onerror=alert(1)>", "body": "[x](javascript:alert(1))"},
    )
    assert response.status_code == 302
    post = Post.objects.get()
    client.post(reverse("forum:post_edit", args=[post.pk]), {"body": "<svg onload=alert(1)>"})
    for url in [
        response["Location"],
        reverse("forum:post_history", args=[post.pk]),
        reverse("forum:category", args=[general.slug]),
        reverse("forum:search") + "?q=alert",
    ]:
        html = client.get(url).content.decode()
        assert problems_in(html) == [], url


_PIECES = [
    "<",
    ">",
    "script",
    "img",
    "svg",
    "onerror=",
    "on",
    "load",
    "=",
    '"',
    "'",
    "javascript:",
    "JaVaScRiPt:",
    "data:",
    "vbscript:",
    "&#106;",
    "&#x6A;",
    "&colon;",
    "[",
    "]",
    "(",
    ")",
    "!",
    "`",
    "*",
    "_",
    "\n",
    " ",
    "\t",
    "@anggota",
    "http://x",
    "<a href=",
    "style=",
    "/",
    "\\",
    "&",
    ";",
    "alert(1)",
    "[r]: ",
]


@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
@settings(max_examples=400, deadline=None)
def test_render_markdown_random_fragments_stay_inert(source):
    assert problems_in(render_markdown(source, known_usernames={"anggota"})) == []
