from __future__ import annotations

import pytest

from forum import search_words
from forum.search import search_posts
from forum.search_words import expansions, families, family_of, parse_families, stem
from tests.forum.factories import PostFactory, ThreadFactory

# (what a reader types, what the post says): the stemmer alone gives these different stems.
FAMILY_PAIRS = [
    ("tunggakan", "Dua KSM masih menunggak sejak Maret."),
    ("menunggak", "Daftar tunggakan bulan ini sudah dikirim."),
    ("tagihan", "Jadwal penagihan ke KSM Melati hari Senin."),
    ("penagihan", "Tagihan bulan lalu belum dibayar."),
    ("permukiman", "Rapat pemukiman padat di tepi sungai."),
    ("pemukiman", "Program peningkatan kualitas permukiman."),
    ("menabung", "Tabungan kelompok naik tahun ini."),
    ("cicilan", "Angsuran KSM dibayar tepat waktu."),
    ("pengurus", "Rapat kepengurusan BKM periode baru."),
    ("selokan", "Drainase tersumbat sampah plastik."),
    ("usulan", "Proposal kegiatan sudah masuk ke OPD."),
    ("kolektibilitas", "Kolek KSM Anggrek turun ke lancar."),
    ("jaling", "Perbaikan jalan lingkungan RT 03."),
]


def test_families_load_and_no_word_or_stem_in_two_families():
    seen: dict[str, int] = {}
    for i, family in enumerate(families()):
        assert len(family.words) >= 2, family
        for word in family.single_words:
            for key in {word, stem(word)}:
                assert seen.setdefault(key, i) == i, f"{key!r} in two families"


def test_parse_families_ignores_comments_and_reads_phrases():
    parsed = parse_families("# komentar\n\nair-bersih pdam  # dua kata\n")
    assert [f.words for f in parsed] == [("air bersih", "pdam")]
    assert parsed[0].phrases == ("air bersih",) and parsed[0].single_words == ("pdam",)


def test_family_of_finds_by_word_and_by_stem():
    assert family_of("menunggak") is family_of("tunggakan") is not None
    assert family_of("Menunggaknya") is family_of("tunggakan")  # same stem as a member
    assert family_of("drainase") is not None and family_of("xyzzy") is None
    assert [w for w, _f in expansions("tagihan penagihan KSM")] == ["tagihan"]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "body"), FAMILY_PAIRS)
def test_search_posts_finds_word_family_on_postgresql(staff_admin, general, query, body):
    post = PostFactory(thread=ThreadFactory(category=general, title="Catatan"), body_source=body)
    PostFactory(thread=ThreadFactory(category=general, title="Lain"), body_source="Pertemuan warga biasa saja.")
    hits = search_posts(user=staff_admin, query=query)
    assert [h.post for h in hits] == [post]
    assert "<mark>" in hits[0].snippet


@pytest.mark.django_db
def test_search_posts_family_keeps_and_and_negation_on_postgresql(staff_admin, general):
    both = PostFactory(thread=ThreadFactory(category=general), body_source="KSM Melati menunggak dua bulan.")
    PostFactory(thread=ThreadFactory(category=general), body_source="KSM Mawar lancar, tidak ada tunggakan lain.")
    assert [h.post for h in search_posts(user=staff_admin, query="tunggakan melati")] == [both]
    assert [h.post.pk for h in search_posts(user=staff_admin, query="tunggakan -mawar")] == [both.pk]
    assert len(search_posts(user=staff_admin, query='"tunggakan lain"')) == 1


@pytest.mark.django_db
def test_search_snippet_is_plain_text_not_markdown_on_postgresql(staff_admin, general):
    PostFactory(
        thread=ThreadFactory(category=general),
        body_source="## Rekap\n\n**Tunggakan** KSM & [daftar](https://contoh.id) > batas",
    )
    snippet = search_posts(user=staff_admin, query="tunggakan")[0].snippet
    assert "**" not in snippet and "##" not in snippet and "](" not in snippet
    assert "<mark>Tunggakan</mark>" in snippet and "&amp;" in snippet and "&amp;amp;" not in snippet


@pytest.fixture
def embedded(monkeypatch):
    from forum import search

    monkeypatch.setattr(search, "is_postgres", lambda: False)
    return search


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "body"), FAMILY_PAIRS)
def test_search_embedded_finds_word_family(embedded, staff_admin, general, query, body):
    post = PostFactory(thread=ThreadFactory(category=general, title="Catatan"), body_source=body)
    PostFactory(thread=ThreadFactory(category=general, title="Lain"), body_source="Pertemuan warga biasa saja.")
    assert [h.post for h in embedded.search_posts(user=staff_admin, query=query)] == [post]


@pytest.mark.django_db
def test_search_embedded_matches_stems_not_substrings(embedded, staff_admin, general):
    lending = PostFactory(thread=ThreadFactory(category=general), body_source="KSM ingin meminjam lagi.")
    loans = PostFactory(
        thread=ThreadFactory(category=general), body_source="Kolektibilitas pinjaman KSM Anggrek membaik."
    )
    PostFactory(thread=ThreadFactory(category=general), body_source="Drainase tersumbat.")
    assert {h.post for h in embedded.search_posts(user=staff_admin, query="peminjam")} == {lending, loans}
    assert [h.post for h in embedded.search_posts(user=staff_admin, query="kolektibilitas pinjaman")] == [loans]
    # "jam" is inside "pinjaman" and "meminjam" but is not their word.
    assert embedded.search_posts(user=staff_admin, query="jam") == []
    assert [h.post for h in embedded.search_posts(user=staff_admin, query="pinjaman -anggrek")] == [lending]


@pytest.mark.django_db
def test_search_embedded_snippet_is_plain_text_with_marks(embedded, staff_admin, general):
    PostFactory(
        thread=ThreadFactory(category=general),
        body_source="## Rekap\n\n**Pinjaman** <script>x</script> [daftar](https://contoh.id)",
    )
    snippet = embedded.search_posts(user=staff_admin, query="meminjam")[0].snippet
    assert snippet.startswith("Rekap <mark>Pinjaman</mark>")
    assert "**" not in snippet and "##" not in snippet and "](" not in snippet and "<script>" not in snippet


def test_words_file_is_in_the_repository():
    assert search_words.WORDS_FILE.name == "search_words.txt" and search_words.WORDS_FILE.exists()
