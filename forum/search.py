"""Full-text search over posts.

PostgreSQL: a `search_vector` column (title weight A on the opening post, body
weight B) built with the `indonesian` Snowball configuration, so "pinjaman",
"meminjam" and "peminjam" all stem to "pinjam"; a GIN index (created in a
migration only on PostgreSQL); ranking with ts_rank; snippets with ts_headline,
escaped before our own <mark> tags are put back. SQLite (the embedded demo):
a plain `icontains` fallback.

Every result goes through `permissions.filter_visible_posts` first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Value
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import conf
from .models import Post
from .permissions import filter_visible_posts

# Control characters never survive into a post's text search output, so they
# are safe sentinels for "highlight starts/ends here".
_START, _STOP = "\x02", "\x03"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def post_update_search_vector(*, post_id: int, title: str | None) -> None:
    """Recompute one post's search vector (no-op on SQLite)."""
    if not is_postgres():
        return
    config = conf.get("FORUM_SEARCH_CONFIG")
    vector: Any = SearchVector("body_source", weight="B", config=config)
    if title:
        vector = SearchVector(Value(title), weight="A", config=config) + vector
    Post.objects.filter(pk=post_id).update(search_vector=vector)


def highlight(raw: str) -> SafeString:
    """Escape a ts_headline result, then turn our sentinels into <mark>."""
    text = escape(raw.replace(_START, "").replace(_STOP, "") if raw.count(_START) != raw.count(_STOP) else raw)
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 - escaped above


@dataclass(frozen=True)
class SearchHit:
    post: Post
    snippet: SafeString


def search_posts(*, user: Any, query: str, limit: int = 50) -> list[SearchHit]:
    query = query.strip()[:200]
    if not query:
        return []
    visible = filter_visible_posts(user, Post.objects.all()).select_related("thread", "thread__category", "author")
    if not is_postgres():
        posts = list(visible.filter(body_source__icontains=query).order_by("-created_at")[:limit])
        return [SearchHit(post=p, snippet=highlight(p.body_source[:240])) for p in posts]
    config = conf.get("FORUM_SEARCH_CONFIG")
    tsquery = SearchQuery(query, config=config, search_type="websearch")
    # Rank only the newest N matches: for a word in most posts, ts_rank over every
    # match would read the whole table; newest-first candidates come from a
    # backward primary-key scan, rare words still from the GIN index (planner's choice).
    candidates = (
        filter_visible_posts(user, Post.objects.filter(search_vector=tsquery))
        .order_by("-id")
        .values("id")[: conf.get("FORUM_SEARCH_CANDIDATES")]
    )
    rows = (
        visible.filter(id__in=candidates)
        .annotate(
            rank=SearchRank(F("search_vector"), tsquery),
            snippet=SearchHeadline(
                "body_source",
                tsquery,
                config=config,
                start_sel=_START,
                stop_sel=_STOP,
                max_words=35,
                min_words=15,
                max_fragments=2,
            ),
        )
        .order_by("-rank", "-created_at", "-id")[:limit]
    )
    return [SearchHit(post=p, snippet=highlight(p.snippet)) for p in rows]
