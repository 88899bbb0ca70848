"""Full-text search over posts.

PostgreSQL: a `search_vector` column (title weight A on the opening post, body
weight B) built with the `indonesian` Snowball configuration, so "pinjaman",
"meminjam" and "peminjam" all stem to "pinjam"; a GIN index (created in a
migration only on PostgreSQL); ranking with ts_rank. Words the stemmer does not
unify ("tunggakan"/"menunggak", "permukiman"/"pemukiman") come from the
portal's word families (`forum/search_words.txt`, read by
`forum.search_words`): each query word of a family is rewritten in the tsquery
(`ts_rewrite`) into the OR of its family. Snippets are `ts_headline` over the
post's rendered text with the tags removed (plain text, never Markdown),
escaped before our own <mark> tags are put back.

SQLite (the embedded mode): candidate posts are narrowed in SQL by substrings
(the query words, their stems and their families' words), then every query word
must match a word of the post by Snowball stem or family; snippets are the same
plain text.

Every result goes through `permissions.filter_visible_posts` first.
"""

from __future__ import annotations

import html
import operator
import re
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Q, TextField, Value
from django.db.models.expressions import RawSQL
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from . import conf
from .models import Post
from .permissions import filter_visible_posts
from .search_words import Family, expansions, family_of, stem, words_of

# Control characters never survive into a post's text search output, so they
# are safe sentinels for "highlight starts/ends here".
_START, _STOP = "\x02", "\x03"
SNIPPET_CHARS = 240
# What markdown-it and nh3 escape in body_html; "&amp;" last so "&amp;lt;" stays "&lt;".
_ENTITIES = [("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#x27;", "'"), ("&#39;", "'"), ("&amp;", "&")]


def _reader_text_sql() -> str:
    """The SQL of ReaderText, from _ENTITIES (constants of ours written as SQL string literals: no "%",
    since the template is %-formatted and then executed with parameters)."""

    def literal(value: str) -> str:
        assert "%" not in value
        return "'" + value.replace("'", "''") + "'"

    sql = "regexp_replace(%(expressions)s, '<[^>]+>', ' ', 'g')"
    for entity, char in _ENTITIES:
        sql = f"REPLACE({sql}, {literal(entity)}, {literal(char)})"
    return sql


class ReaderText(Func):
    """`body_html` as the text a reader sees: tags removed, the escapes of _ENTITIES undone (in that order).

    One expression whose SQL is written once at import: as eight nested Func/Replace nodes with fourteen
    Values, compiling it was a fifth of the search query's ORM compilation."""

    output_field = TextField()
    template = _reader_text_sql()


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


def plain_text(body_html: str) -> str:
    """A post's text as a reader sees it: rendered HTML without tags or entities, spaces collapsed."""
    return " ".join(html.unescape(strip_tags(body_html)).split())


@dataclass(frozen=True)
class SearchHit:
    post: Post
    snippet: SafeString


class QueryRewrite(SearchQuery):
    """`ts_rewrite(query, target, substitute)`; a SearchQuery, so `@@`, ts_rank and ts_headline take it as it is."""

    function = "ts_rewrite"

    def __init__(self, query: Any, target: Any, substitute: Any) -> None:
        Func.__init__(self, query, target, substitute)
        self.config = None
        self.invert = False


def _family_query(family: Family, config: str) -> Any:
    parts = [SearchQuery(w, config=config, search_type="phrase" if " " in w else "plain") for w in family.query_words]
    return reduce(operator.or_, parts)


def expanded_tsquery(query: str, *, config: str) -> SearchQuery:
    """The websearch query with each word of a family rewritten into the OR of the family's words."""
    tsquery: SearchQuery = SearchQuery(query, config=config, search_type="websearch")
    for word, family in expansions(query):
        target = SearchQuery(word, config=config, search_type="plain")
        tsquery = QueryRewrite(tsquery, target, _family_query(family, config))
    return tsquery


def search_posts(*, user: Any, query: str, limit: int = 50, offset: int = 0) -> list[SearchHit]:
    """The visible posts matching `query`, best first: `limit` of them from the `offset`-th on (a page of
    the search; only the page's hits get a snippet, PostgreSQL's costliest part)."""
    query = query.strip()[:200]
    if not query:
        return []
    visible = filter_visible_posts(user, Post.objects.all()).select_related("thread", "thread__category", "author")
    if not is_postgres():
        return _search_embedded(visible, query, limit, offset)
    config = conf.get("FORUM_SEARCH_CONFIG")
    tsquery = expanded_tsquery(query, config=config)
    # Rank only the newest N matches: for a word in most posts, ts_rank over every
    # match would read the whole table; newest-first candidates come from a
    # backward primary-key scan, rare words still from the GIN index (planner's choice).
    rank = SearchRank(F("search_vector"), tsquery)
    candidates = (
        filter_visible_posts(user, Post.objects.filter(search_vector=tsquery))
        .annotate(rank=rank)
        .order_by("-id")
        .values("id", "rank", "created_at")[: conf.get("FORUM_SEARCH_CANDIDATES")]
    )
    # The rendered HTML without its tags and with the escapes the renderer writes undone:
    # the text a reader sees (highlight() escapes it again).
    text = ReaderText(F("body_html"))
    # The best `limit` of them by rank, chosen on the posts alone: joining each candidate to its thread,
    # category and author (as the hits need) before choosing cost more than the ranking itself. Each
    # candidate is ranked in the scan that finds it (a subquery in FROM, which the ORM does not write):
    # ranking them after the IN (…) read each of the 1,000 posts again by its key (EXPLAIN ANALYZE at
    # province scale: 4,000 of the query's 5,350 buffers).
    candidates_sql, candidates_params = candidates.query.sql_with_params()
    best = RawSQL(  # noqa: S611 - the ORM's own SQL; every value is a parameter
        f"SELECT candidate.id FROM ({candidates_sql}) AS candidate"  # noqa: S608
        " ORDER BY candidate.rank DESC, candidate.created_at DESC, candidate.id DESC LIMIT %s OFFSET %s",
        (*candidates_params, limit, offset),
    )
    rows = (
        visible.filter(id__in=best)
        # A hit shows its thread's title, category, author and date, and a snippet computed in SQL:
        # only those columns come back (50 hits × four models with every column was most of the
        # search page's Python time).
        .only(
            "thread_id",
            "author_id",
            "created_at",
            "thread__title",
            "thread__category_id",
            "thread__category__name",
            "author__username",
            "author__first_name",
            "author__last_name",
        )
        .annotate(
            rank=rank,
            snippet=SearchHeadline(
                text,
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


# --- Embedded mode (SQLite): stems and families in Python ------------------------------

_NEGATED = re.compile(r"(?:^|\s)-(\w+)", re.UNICODE)


@dataclass(frozen=True)
class _Term:
    word: str
    stems: frozenset[str]  # the word's stem, or its family's stems
    words: tuple[str, ...]  # the family's words (phrases with spaces)

    def matches(self, post_stems: set[str], text_lower: str) -> bool:
        return bool(self.stems & post_stems) or any(p in text_lower for p in self.words if " " in p)

    def substrings(self) -> set[str]:
        """One of these is in the text of every post this term matches.

        A word contains its stem except for the first letter that a prefix may
        change ("meminjam" → pinjam, "menunggak" → tunggak), so the stem without
        it is enough to narrow in SQL; the stems decide in Python.
        """
        return {self.word, *self.words, *(s[1:] if len(s) > 3 else s for s in self.stems)}


def _terms(words: list[str]) -> list[_Term]:
    terms = []
    for word in dict.fromkeys(words):
        family = family_of(word)
        if family is None:
            terms.append(_Term(word, frozenset({stem(word)}), ()))
        else:
            terms.append(_Term(word, family.stems | {stem(word)}, family.words))
    return terms


def _marked_snippet(text: str, stems: set[str]) -> SafeString:
    """Plain-text window around the first matching word, matching words in <mark>."""
    matches = [m for m in re.finditer(r"\w+", text) if stem(m.group()) in stems]
    start = max(0, matches[0].start() - SNIPPET_CHARS // 3) if matches else 0
    end = start + SNIPPET_CHARS
    out, pos = [], start
    for m in matches:
        if m.start() < start or m.end() > end:
            continue
        out += [escape(text[pos : m.start()]), "<mark>", escape(m.group()), "</mark>"]
        pos = m.end()
    out.append(escape(text[pos:end]))
    prefix = "… " if start else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(out).strip() + suffix)  # noqa: S308 - every piece escaped


def _search_embedded(visible: Any, query: str, limit: int, offset: int) -> list[SearchHit]:
    excluded = set(words_of(" ".join(_NEGATED.findall(query))))
    wanted = [w for w in words_of(_NEGATED.sub(" ", query)) if w not in {"or", "and"}]
    terms = _terms(wanted)
    if not terms:
        return []
    excluded_terms = _terms(sorted(excluded))
    narrowing = Q()
    for term in terms:
        for text in term.substrings():
            narrowing |= Q(body_source__icontains=text) | Q(thread__title__icontains=text)
    earlier = Post.objects.filter(thread=OuterRef("thread"), created_at__lt=OuterRef("created_at"))
    candidates = (
        visible.filter(narrowing)
        .annotate(is_opening=~Exists(earlier))
        .order_by("-created_at", "-id")[: conf.get("FORUM_SEARCH_CANDIDATES")]
    )
    scored = []
    for post in candidates:
        text = plain_text(post.body_html)
        # Like the PostgreSQL vector: the thread title belongs to its opening post only.
        title = post.thread.title if post.is_opening else ""
        title_stems = {stem(w) for w in words_of(title)}
        post_stems = {stem(w) for w in words_of(text)} | title_stems
        lower = f"{title} {text}".lower()
        if not all(t.matches(post_stems, lower) for t in terms):
            continue
        if any(t.matches(post_stems, lower) for t in excluded_terms):
            continue
        in_title = sum(1 for t in terms if t.stems & title_stems)
        scored.append((in_title, post, text))
    scored.sort(key=lambda item: -item[0])  # stable: newest first within the same title score
    stems = set().union(*(t.stems for t in terms))
    return [SearchHit(post=p, snippet=_marked_snippet(text, stems)) for _n, p, text in scored[offset : offset + limit]]


# --- The capacity-building library: the same configuration, families and embedded matching ----


def material_update_search_vector(*, material_id: int) -> None:
    """Recompute one material's search vector: title weight A, description B (no-op on SQLite)."""
    from .models import Material

    if not is_postgres():
        return
    config = conf.get("FORUM_SEARCH_CONFIG")
    vector = SearchVector("title", weight="A", config=config) + SearchVector("description", weight="B", config=config)
    Material.objects.filter(pk=material_id).update(search_vector=vector)


def filter_materials_matching(qs: Any, query: str) -> Any:
    """The materials of `qs` a query finds, best first (the library list's "cari" filter).

    PostgreSQL: the stored vector against the family-expanded websearch query, ranked with
    ts_rank (title above description). SQLite: the embedded path's rule — every query word
    matches a word of the title or description by stem or family, `-word` excludes.
    """
    query = query.strip()[:200]
    if not query:
        return qs
    if is_postgres():
        tsquery = expanded_tsquery(query, config=conf.get("FORUM_SEARCH_CONFIG"))
        return (
            qs.filter(search_vector=tsquery)
            .annotate(rank=SearchRank(F("search_vector"), tsquery))
            .order_by("-rank", "-updated_at", "-id")
        )
    excluded = _terms(sorted(set(words_of(" ".join(_NEGATED.findall(query))))))
    terms = _terms([w for w in words_of(_NEGATED.sub(" ", query)) if w not in {"or", "and"}])
    if not terms:
        return qs.none()
    narrowing = Q()
    for term in terms:
        for text in term.substrings():
            narrowing |= Q(title__icontains=text) | Q(description__icontains=text)
    ids = []
    for pk, title, description in qs.filter(narrowing).values_list("pk", "title", "description")[
        : conf.get("FORUM_SEARCH_CANDIDATES")
    ]:
        text = f"{title} {description}"
        stems = {stem(w) for w in words_of(text)}
        lower = text.lower()
        if all(t.matches(stems, lower) for t in terms) and not any(t.matches(stems, lower) for t in excluded):
            ids.append(pk)
    return qs.filter(pk__in=ids)
