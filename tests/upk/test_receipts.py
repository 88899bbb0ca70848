"""Receipts that travel (issue 14): terbilang, instalments and arrears on the kuitansi, the signed
link for the KSM chair, the wa.me share and reminder links, the chair's contact."""

from __future__ import annotations

import io
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import UserFactory
from upk import receipts
from upk.ledger.errors import LedgerError
from upk.queries import today
from upk.services.registry import ksm_chair_update

from .factories_ui import fund, make_portfolio


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Nol rupiah"),
        (1_000, "Seribu rupiah"),
        (11_500, "Sebelas ribu lima ratus rupiah"),
        (560_500, "Lima ratus enam puluh ribu lima ratus rupiah"),
        (1_250_000, "Satu juta dua ratus lima puluh ribu rupiah"),
    ],
)
def test_rupiah_words_indonesian(amount, words):
    assert receipts.rupiah_words(amount) == words


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("0812-3456-7890", "6281234567890"),
        ("+62 812 3456 7890", "6281234567890"),
        ("6281234567890", "6281234567890"),
        ("81234567890", "6281234567890"),
        ("(0536) 322 1234", "625363221234"),
        ("12345", ""),
        ("+1 415 555 0100", ""),
        ("", ""),
        ("0812345678901234567", ""),
        ("+62 0812 3456 7890", "6281234567890"),
    ],
)
def test_wa_phone_normalises_to_62(raw, phone):
    assert receipts.wa_phone(raw) == phone


def test_wa_link_prefills_text_for_the_number():
    url = receipts.wa_link(phone="0812 3456 7890", text="Kuitansi & tunggakan: Rp 1.000")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281234567890")
    assert parse_qs(parts.query)["text"] == ["Kuitansi & tunggakan: Rp 1.000"]
    # No number: WhatsApp asks which contact.
    assert receipts.wa_link(phone="", text="x").startswith("https://wa.me/?text=")


@pytest.fixture
def paid(upk, manager):
    """One loan with its first instalment paid (the receipt) and the next ones in arrears."""
    fund(upk, manager)
    (loan,) = make_portfolio(upk, manager, 1, today=today(), months_ago=3, paid_up_to=1)
    return loan.repayments.get()


def test_receipt_facts_name_instalments_and_arrears_left(paid):
    facts = receipts.receipt_facts(paid)
    assert [(i.number, i.settled) for i in facts.instalments] == [(1, True)]
    assert facts.instalments_text == "1"
    assert facts.words == receipts.rupiah_words(int(paid.amount))
    assert sum(amount for _name, amount in facts.allocations) == int(paid.amount)
    # Paid on the first due date: nothing was in arrears at the end of that day.
    assert facts.position is not None and facts.position.arrears_amount == 0


def test_receipt_facts_partial_instalment(upk, manager):
    fund(upk, manager)
    (loan,) = make_portfolio(upk, manager, 1, today=today(), months_ago=3, paid_up_to=None)
    first = loan.instalments.order_by("number").first()
    from upk import services

    rep = services.repayments.repayment_record(
        loan=loan, amount=int(first.total) // 2, paid_on=first.due_date, actor=manager, idempotency_key="half"
    )
    facts = receipts.receipt_facts(rep)
    assert facts.instalments_text == "1 (sebagian)"
    assert facts.position.n_arrears == 1


def test_receipt_page_shows_terbilang_and_whatsapp_link_to_chair(client, manager, paid):
    ksm_chair_update(ksm=paid.loan.ksm, actor=manager, chair_name="Ibu Sari", chair_phone="0812-3456-7890")
    client.force_login(manager)
    response = client.get(reverse("upk:receipt_page", args=[paid.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert receipts.rupiah_words(int(paid.amount)) in body
    wa = response.context["wa_url"]
    assert wa.startswith("https://wa.me/6281234567890?text=")
    text = parse_qs(urlsplit(wa).query)["text"][0]
    assert paid.receipt_number in text and paid.loan.ksm.name in text
    assert "Angsuran ke-1." in text and "Tidak ada tunggakan." in text
    share = response.context["share_link"]
    assert share in text and share.startswith(settings.PORTAL_BASE_URL.rstrip("/") + "/upk/kuitansi/")
    # The chair opens the link without a login.
    anonymous = Client().get(urlsplit(share).path)
    assert anonymous.status_code == 200
    assert paid.receipt_number in anonymous.content.decode()
    assert "no-store" in anonymous["Cache-Control"]


def test_receipt_message_in_indonesian_for_an_english_user(client, manager, paid):
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("upk:receipt_page", args=[paid.pk]))
    text = parse_qs(urlsplit(response.context["wa_url"]).query)["text"][0]
    assert text.startswith("Yth. Ketua KSM")


def test_receipt_shared_refuses_forged_and_expired_tokens(paid):
    client = Client()
    token = receipts.share_token(repayment_id=paid.pk)
    assert client.get(reverse("upk:receipt_shared", args=[token])).status_code == 200
    forged = signing.dumps(paid.pk, salt="another.salt")
    assert client.get(reverse("upk:receipt_shared", args=[forged])).status_code == 404
    assert client.get(reverse("upk:receipt_shared", args=[token[:-2] + "xx"])).status_code == 404
    # A link older than the limit (signed with a timestamp that far back).
    days = receipts.SHARE_MAX_AGE_DAYS + 1

    class Past(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - days * 86400)

    stale = Past(salt="upk.receipt.share").sign_object(paid.pk)
    assert client.get(reverse("upk:receipt_shared", args=[stale])).status_code == 404


def test_receipt_pdf_carries_words_instalments_and_arrears(client, manager, paid):
    client.force_login(manager)
    response = client.get(reverse("upk:receipt", args=[paid.pk]))
    assert response["Content-Type"] == "application/pdf"
    # Compared without spaces: the PDF's text layer splits words at kerning ("T elah").
    text = "".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    for expected in ("Terbilang", receipts.rupiah_words(int(paid.amount)), "angsuranke-1", "Tunggakansesudahbayar"):
        assert "".join(expected.split()) in text


def test_receipt_page_out_of_scope_is_404(client, paid, db):
    other = UserFactory(role="upk_manager", username="manajer_lain")
    client.force_login(other)
    assert client.get(reverse("upk:receipt_page", args=[paid.pk])).status_code == 404


def test_receipt_page_bounded_queries(client, manager, paid, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("upk:receipt_page", args=[paid.pk])).status_code == 200


def test_ksm_chair_update_stores_62_and_refuses_bad_numbers(client, manager, upk, paid):
    ksm = paid.loan.ksm
    client.force_login(manager)
    url = reverse("upk:ksm_chair", args=[ksm.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"chair_name": "Ibu Sari", "chair_phone": "abc"})
    assert response.status_code == 200
    assert "tidak dikenali" in response.content.decode()
    ksm.refresh_from_db()
    assert ksm.chair_phone == ""
    response = client.post(url, {"chair_name": " Ibu Sari ", "chair_phone": "+62 812-3456-7890"})
    assert response.status_code == 302
    ksm.refresh_from_db()
    assert (ksm.chair_name, ksm.chair_phone) == ("Ibu Sari", "6281234567890")
    assert ksm.history.first().history_user == manager


def test_ksm_chair_update_only_by_the_upks_manager(upk, paid, bkm):
    member = UserFactory(role="bkm_member", bkm=bkm, username="anggota_bkm")
    with pytest.raises(Exception) as exc:
        ksm_chair_update(ksm=paid.loan.ksm, actor=member, chair_name="x", chair_phone="")
    assert not isinstance(exc.value, LedgerError)  # PermissionDenied, not a form error
    client = Client()
    client.force_login(member)
    assert client.get(reverse("upk:ksm_chair", args=[paid.loan.ksm_id])).status_code in (403, 404)


def test_upk_home_reminders_go_to_the_chair(client, manager, upk):
    fund(upk, manager)
    loans = make_portfolio(upk, manager, 2, today=today(), months_ago=3, paid_up_to=1)
    ksm_chair_update(ksm=loans[0].ksm, actor=manager, chair_name="Ibu Sari", chair_phone="081234567890")
    client.force_login(manager)
    body = client.get(reverse("upk:home", args=[upk.pk])).content.decode()
    assert "https://wa.me/6281234567890?text=" in body  # the chair with a number
    assert "https://wa.me/?text=" in body  # the other: WhatsApp asks for the contact
    assert "menunggak" in body


def test_collection_split_fragment_scoped_to_the_upk_and_its_manager(client, manager, upk, bkm):
    fund(upk, manager)
    (loan,) = make_portfolio(upk, manager, 1, today=today())
    url = reverse("upk:collection_split", args=[upk.pk, loan.pk])
    client.force_login(manager)
    fragment = client.get(url).content.decode()
    assert fragment.count('class="form-control split-input"') == loan.loan_members.count()
    viewer = UserFactory(role="staff_viewer", username="peninjau_upk")
    client.force_login(viewer)
    assert client.get(url).status_code == 403
