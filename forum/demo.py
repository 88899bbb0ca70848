"""Deterministic demo content for the forum: threads in every category, replies,
mentions of the demo users, a past meeting with minutes and follow-ups, and an
upcoming one.

Rows are written directly (not through the services) so the rate limit and the
duplicate guard, which exist for live users, do not get in the way; rendering,
search vectors and notifications use the same helpers the services use.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from bkm.models import BKM, OPD, Proposal

from .markup import content_hash, find_mentions, render_markdown
from .models import (
    Category,
    FollowUpAction,
    FollowUpStatus,
    Meeting,
    MeetingDecision,
    MeetingRSVP,
    Notification,
    NotificationKind,
    Post,
    RSVPResponse,
    Thread,
    ThreadWatch,
    WatchLevel,
)
from .permissions import filter_visible_posts
from .search import post_update_search_vector

User = get_user_model()

TOPICS: dict[str, list[tuple[str, str]]] = {
    "kelembagaan-bkm": [
        (
            "Pemilihan ulang anggota BKM tahun ini",
            "Masa bakti anggota BKM kami berakhir bulan depan. Bagaimana tata cara **rembug warga** untuk pemilihan ulang menurut AD/ART?",
        ),
        (
            "Regenerasi relawan setelah KOTAKU berakhir",
            "Setelah fasilitator tidak ada lagi, relawan kami makin sedikit. Ada pengalaman merekrut relawan muda?",
        ),
    ],
    "pinjaman-bergulir-upk": [
        (
            "KSM yang meminjam ulang sebelum lunas",
            "Ada KSM yang ingin meminjam lagi padahal pinjaman sebelumnya belum lunas. Apakah boleh dilakukan *top up*?",
        ),
        (
            "Menghitung kolektibilitas pinjaman bergulir",
            "Mohon contoh perhitungan kolektibilitas untuk pinjaman yang menunggak 3 bulan.",
        ),
    ],
    "pencegahan-penanganan-kumuh": [
        (
            "Drainase lingkungan yang sering tersumbat",
            "Saluran di RT 03 tersumbat setiap musim hujan. Usulan perbaikan sudah masuk RPLP tetapi belum didanai.",
        ),
        (
            "Pendataan ulang kawasan kumuh",
            "Apakah ada format baku untuk pendataan ulang kawasan kumuh tingkat kelurahan?",
        ),
    ],
    "kolaborasi-opd": [
        (
            "Membawa usulan sanitasi ke musrenbang",
            "Kami ingin usulan sanitasi komunal masuk musrenbang kelurahan. Dinas mana yang sebaiknya didekati?",
        ),
        (
            "Kerja sama dengan Dinas Perkim",
            "Dinas Perkim membuka kesempatan kolaborasi peningkatan jalan lingkungan. Siapa yang sudah pernah?",
        ),
    ],
    "pengumuman-pokja-pkp": [
        (
            "Jadwal rapat koordinasi Forum BKM",
            "Rapat koordinasi Forum BKM se-Kota Palangka Raya akan dijadwalkan di menu **Pertemuan**. Mohon konfirmasi kehadiran.",
        ),
        (
            "Pembaruan data BKM di portal",
            "Mohon setiap BKM memperbarui data kepengurusan dan dokumen legalitas di portal sebelum akhir bulan.",
        ),
    ],
}
KECAMATAN_TOPICS = [
    (
        "Laporan perkembangan pinjaman bulan ini",
        "Silakan setiap UPK di kecamatan ini berbagi laporan perkembangan pinjaman bulan ini untuk saling belajar.",
    ),
    (
        "Rencana kegiatan bersama antar-BKM",
        "Usul: kerja bakti bersama membersihkan saluran antar-kelurahan bulan depan.",
    ),
]
REPLIES = [
    "Terima kasih, informasinya sangat membantu.",
    "Di kelurahan kami hal yang sama pernah terjadi; solusinya lewat rapat anggota.",
    "Setuju. Sebaiknya dibahas juga di pertemuan forum berikutnya.",
    "Kami punya contoh formatnya, nanti saya lampirkan.",
    "Perlu koordinasi dengan lurah dan LPMK terlebih dahulu.",
    "Pengalaman kami, warga yang meminjam tepat waktu diberi prioritas pinjaman berikutnya.",
    "Mohon staf Bappedalitbang memberi arahan soal ini.",
]
MENTIONABLE = ["koordinator", "anggota", "anggota2", "manajer", "staf"]


def _post(*, thread: Thread, author, source: str, at, title: str | None = None) -> Post:
    mentions = find_mentions(source) & {u.lower() for u in MENTIONABLE}
    post = Post.objects.create(
        thread=thread,
        author=author,
        body_source=source,
        body_html=render_markdown(source, known_usernames=mentions),
        content_hash=content_hash(source),
    )
    Post.objects.filter(pk=post.pk).update(created_at=at)
    post_update_search_vector(post_id=post.pk, title=title)
    ThreadWatch.objects.get_or_create(user=author, thread=thread, defaults={"level": WatchLevel.SITE})
    for username in mentions:
        target = User.objects.filter(username=username).first()
        if (
            target is not None
            and target.pk != author.pk
            and filter_visible_posts(target, Post.objects.filter(pk=post.pk)).exists()
        ):
            Notification.objects.create(user=target, kind=NotificationKind.MENTION, post=post, actor=author)
    return post


def _authors_for(category: Category, users: dict[str, Any]) -> list:
    if category.kecamatan_id:
        local = list(
            User.objects.filter(role="bkm_member", is_active=True, bkm__kelurahan__kecamatan_id=category.kecamatan_id)
        )
        return local + [users["staf"]] if local else [users["staf"]]
    if category.slug == "pengumuman-pokja-pkp":
        return [users["staf"]]
    return [u for u in users.values() if u is not None]


def seed(*, rng: random.Random, scale: str) -> None:
    if Thread.objects.exists():
        return
    users = {name: User.objects.filter(username=name).first() for name in MENTIONABLE}
    if users["staf"] is None:
        return
    now = timezone.now()
    replies_per_thread = {"small": 3, "city": 6, "large": 15}.get(scale, 6)
    proposal = Proposal.objects.order_by("pk").first()
    for category in Category.objects.order_by("position"):
        topics = TOPICS.get(category.slug, KECAMATAN_TOPICS)
        authors = _authors_for(category, users)
        for index, (title, body) in enumerate(topics):
            author = rng.choice(authors)
            started = now - timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 12))
            bkm = getattr(author, "bkm", None) if index == 0 else None
            thread = Thread.objects.create(
                category=category,
                title=title if not category.kecamatan_id else f"{title} — {category.kecamatan}",
                author=author,
                last_post_at=started,
                bkm=bkm,
                proposal=proposal if category.slug == "kolaborasi-opd" and index == 0 else None,
            )
            Thread.objects.filter(pk=thread.pk).update(created_at=started)
            _post(thread=thread, author=author, source=body, at=started, title=thread.title)
            at = started
            count = rng.randint(1, replies_per_thread)
            repliers = [u for u in users.values() if u is not None] if not category.kecamatan_id else authors
            for _ in range(count):
                at = at + timedelta(hours=rng.randint(1, 30))
                if at > now:
                    break
                replier = rng.choice(repliers)
                text = rng.choice(REPLIES)
                if rng.random() < 0.35:
                    text = f"@{rng.choice(MENTIONABLE)} {text}"
                _post(thread=thread, author=replier, source=text, at=at)
                Thread.objects.filter(pk=thread.pk).update(reply_count=thread.reply_count + 1, last_post_at=at)
                thread.reply_count += 1
    _seed_meetings(rng=rng, now=now, staff=users["staf"])


def _seed_meetings(*, rng: random.Random, now, staff) -> None:
    bkms = list(BKM.objects.order_by("pk")[:6])
    opd = OPD.objects.order_by("pk").first()
    category = Category.objects.filter(slug="pengumuman-pokja-pkp").first()
    past = Meeting.objects.create(
        title="Rapat Koordinasi Forum BKM Triwulan III",
        agenda="1. Laporan perkembangan tiap BKM\n2. Kendala pinjaman bergulir\n3. Usulan ke musrenbang kelurahan",
        starts_at=(now - timedelta(days=21)).replace(hour=2, minute=0, second=0, microsecond=0),
        ends_at=(now - timedelta(days=21)).replace(hour=5, minute=0, second=0, microsecond=0),
        place="Aula Bappedalitbang Kota Palangka Raya",
        minutes=(
            "Rapat dibuka oleh Sekretariat POKJA-PKP. Sebanyak enam BKM melaporkan perkembangan.\n"
            "Kendala utama: tunggakan pinjaman dan regenerasi relawan.\n"
            "Disepakati membawa usulan drainase ke musrenbang."
        ),
        created_by=staff,
    )
    past.invited_bkms.set(bkms)
    for username in ["koordinator", "anggota", "anggota2"]:
        member = User.objects.filter(username=username).first()
        if member is not None:
            MeetingRSVP.objects.create(
                meeting=past, user=member, response=RSVPResponse.YES, attended=username != "anggota2"
            )
    decision1 = MeetingDecision.objects.create(
        meeting=past, text="Setiap UPK menyampaikan laporan perkembangan pinjaman bulanan di forum.", position=1
    )
    decision2 = MeetingDecision.objects.create(
        meeting=past, text="Usulan perbaikan drainase dibawa ke OPD terkait.", position=2
    )
    if bkms:
        FollowUpAction.objects.create(
            decision=decision1,
            description="Unggah laporan perkembangan pinjaman bulan ini",
            assignee_bkm=bkms[0],
            due_date=(now + timedelta(days=7)).date(),
            status=FollowUpStatus.IN_PROGRESS,
        )
    if opd is not None or len(bkms) > 1:
        # An OPD when the registry's demo has loaded some, otherwise a second BKM.
        FollowUpAction.objects.create(
            decision=decision2,
            description="Kajian teknis drainase lingkungan" if opd else "Siapkan data teknis drainase untuk OPD",
            assignee_opd=opd,
            assignee_bkm=None if opd else bkms[1],
            due_date=(now + timedelta(days=30)).date(),
        )
    upcoming = Meeting.objects.create(
        title="Pertemuan Forum BKM: Persiapan Musrenbang",
        agenda="1. Menyusun usulan bersama\n2. Pembagian tugas presentasi ke OPD",
        starts_at=(now + timedelta(days=10)).replace(hour=2, minute=0, second=0, microsecond=0),
        online_link="https://meet.example.go.id/forum-bkm",
        place="Kantor Kelurahan Langkai",
        created_by=staff,
    )
    if category is not None:
        thread = Thread.objects.create(
            category=category, title=f"Pertemuan: {upcoming.title}", author=staff, last_post_at=now
        )
        _post(thread=thread, author=staff, source=upcoming.agenda, at=now, title=thread.title)
        upcoming.thread = thread
        upcoming.save(update_fields=["thread"])
