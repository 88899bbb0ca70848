"""The portal's word families for forum search, read from `search_words.txt`.

One dictionary, used by both search paths:

- PostgreSQL: each query word that belongs to a family is rewritten in the
  query (`ts_rewrite`) into the OR of its family's words, each stemmed by the
  same `indonesian` configuration as the posts (forum.search).
- SQLite (embedded mode): words are stemmed in Python with the Snowball
  Indonesian stemmer (`snowballstemmer`, the algorithm PostgreSQL's
  `indonesian_stem` is generated from, so both give the same stems) and a
  query word matches a post word with the same stem or of the same family.

A family member written with hyphens ("air-bersih") is a phrase: it is found as
those words in a row, and only single words start an expansion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import snowballstemmer

WORDS_FILE = Path(__file__).with_name("search_words.txt")
WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Family:
    words: tuple[str, ...]  # as written in the file, phrases with spaces ("air bersih")

    @property
    def single_words(self) -> tuple[str, ...]:
        return tuple(w for w in self.words if " " not in w)

    @property
    def phrases(self) -> tuple[str, ...]:
        return tuple(w for w in self.words if " " in w)

    @property
    def query_words(self) -> tuple[str, ...]:
        """What a search query ORs for this family: one single word per stem, then every phrase.

        Words of one stem become the same lexeme in PostgreSQL ("pinjaman", "meminjam", "peminjam" …
        all 'pinjam'); a repeated lexeme finds nothing more, but ts_rank and ts_headline evaluate
        each repeat again (seven times for that family, on every ranked candidate)."""
        by_stem: dict[str, str] = {}
        for word in self.single_words:
            by_stem.setdefault(stem(word), word)
        return (*by_stem.values(), *self.phrases)

    @property
    def stems(self) -> frozenset[str]:
        return frozenset(stem(w) for w in self.single_words)


@cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("indonesian")


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word.lower()))


def words_of(text: str) -> list[str]:
    return [w.lower() for w in WORD_RE.findall(text)]


def parse_families(text: str) -> list[Family]:
    families = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip().lower()
        if line:
            families.append(Family(tuple(dict.fromkeys(w.replace("-", " ") for w in line.split()))))
    return families


@cache
def families() -> tuple[Family, ...]:
    return tuple(parse_families(WORDS_FILE.read_text(encoding="utf-8")))


@cache
def _index() -> dict[str, Family]:
    """word and stem → its family (a later family never takes a key an earlier one has)."""
    index: dict[str, Family] = {}
    for family in families():
        for word in family.single_words:
            index.setdefault(word, family)
            index.setdefault(stem(word), family)
    return index


def family_of(word: str) -> Family | None:
    """The family a query word belongs to: by the word itself, else by its stem."""
    word = word.lower()
    index = _index()
    return index.get(word) or index.get(stem(word))


def expansions(query: str) -> list[tuple[str, Family]]:
    """(query word, its family) for each query word with a family, one entry per family."""
    seen: set[Family] = set()
    out = []
    for word in words_of(query):
        family = family_of(word)
        if family is not None and family not in seen:
            seen.add(family)
            out.append((word, family))
    return out
