"""Markdown → safe HTML for forum posts.

Two independent layers (machina #20 and markdown2's repeated `safe_mode`
bypasses show a Markdown "safe mode" alone is not a sanitiser):

1. markdown-it-py, CommonMark with raw HTML disabled, so `<script>` typed in a
   post is text, and its own link validation refuses javascript:/vbscript:/
   file:/data: URLs;
2. nh3 with a small allow-list of tags, attributes and URL schemes, adding
   rel="nofollow noopener noreferrer" to every link.

@mentions become links to nothing but a styled span, so no user-controlled
URL is built from them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

MENTION_RE = re.compile(r"(?<![\w@/])@([A-Za-z0-9_.+-]{2,150})")
MAX_SOURCE_CHARS = 20_000

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_CLASSES = {"span": {"mention"}}
URL_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def _outside_links(children: list[Token]):  # type: ignore[no-untyped-def]
    """Each inline token with whether it may hold a mention: plain text, not
    inside a link (code spans are their own token type, so never)."""
    in_link = 0
    for tok in children:
        if tok.type == "link_open":
            in_link += 1
        elif tok.type == "link_close":
            in_link -= 1
        yield tok, tok.type == "text" and not in_link and "@" in tok.content


def _split_mentions(children: list[Token], known: set[str]) -> list[Token]:
    """Replace `@username` inside plain text tokens with a mention span."""
    out: list[Token] = []
    for tok, may_mention in _outside_links(children):
        if not may_mention:
            out.append(tok)
            continue
        pos = 0
        for match in MENTION_RE.finditer(tok.content):
            name = match.group(1).rstrip(".")
            if name.lower() not in known:
                continue
            if match.start() > pos:
                out.append(Token("text", "", 0, content=tok.content[pos : match.start()]))
            # html_inline is disabled for user input, so we build the span with
            # escaping done here; nh3 re-checks it afterwards anyway.
            out.append(Token("mention", "", 0, content=name))
            pos = match.start() + 1 + len(name)
        if pos < len(tok.content):
            out.append(Token("text", "", 0, content=tok.content[pos:]))
    return out


def _render_mention(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    from html import escape

    return f'<span class="mention">@{escape(tokens[idx].content)}</span>'


_md.add_render_rule("mention", _render_mention)


def find_mentions(source: str) -> set[str]:
    """Lower-cased usernames mentioned in the source, found where the rendered
    post shows them as mentions: not in code (inline or blocks), not in links."""
    if "@" not in source:
        return set()
    names: set[str] = set()
    for tok in _md.parse(source[:MAX_SOURCE_CHARS]):
        if tok.type == "inline" and tok.children:
            for text_tok, may_mention in _outside_links(tok.children):
                if may_mention:
                    names |= {m.group(1).rstrip(".").lower() for m in MENTION_RE.finditer(text_tok.content)}
    return names


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(source: str, *, known_usernames: set[str] | None = None) -> str:
    """Render user Markdown to sanitised HTML. `known_usernames` are lower-cased."""
    tokens = _md.parse(source[:MAX_SOURCE_CHARS])
    if known_usernames:
        for tok in tokens:
            if tok.type == "inline" and tok.children:
                tok.children = _split_mentions(tok.children, known_usernames)
    html = _md.renderer.render(tokens, _md.options, {})
    return sanitize_html(html)


def normalise_for_hash(source: str) -> str:
    text = unicodedata.normalize("NFKC", source).casefold()
    return " ".join(text.split())


def content_hash(source: str) -> str:
    return hashlib.sha256(normalise_for_hash(source).encode()).hexdigest()


def quote_source(*, author_name: str, source: str) -> str:
    """Markdown blockquote of a post, attributed, for the reply box."""
    quoted = "\n".join("> " + line for line in source.strip().splitlines())
    return f"> **{author_name}** menulis:\n{quoted}\n\n"
