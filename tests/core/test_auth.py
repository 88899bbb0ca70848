from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_home_shows_public_overview_to_visitors_with_an_obvious_login_link(client):
    # Issue 15: `/` is the public overview for a visitor who is not signed in (public.views.overview).
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{reverse("login")}"' in page and 'data-testid="login-link"' in page


@pytest.mark.django_db
def test_home_sends_visitors_to_login_when_no_page_is_registered_for_them(client, monkeypatch):
    from core import landing

    monkeypatch.delitem(landing._PAGES, "public")
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_login_with_wrong_password_shows_indonesian_error(client):
    UserFactory(username="budi")
    response = client.post(reverse("login"), {"username": "budi", "password": "salah"})
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()


@pytest.mark.django_db
def test_login_then_home_shows_role(client):
    UserFactory(username="budi", role="staff_viewer")
    response = client.post(reverse("login"), {"username": "budi", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "Staf Bappedalitbang (peninjau)" in response.content.decode()


@pytest.mark.django_db
def test_login_locks_out_after_repeated_failures(client):
    UserFactory(username="budi")
    for _ in range(5):
        client.post(reverse("login"), {"username": "budi", "password": "salah"})
    # Even the right password is refused while locked out.
    response = client.post(reverse("login"), {"username": "budi", "password": PASSWORD})
    assert response.status_code == 429
    assert "dikunci sementara" in response.content.decode()


@pytest.mark.django_db
def test_password_reset_sends_email(client):
    UserFactory(username="budi", email="budi@example.go.id")
    response = client.post(reverse("password_reset"), {"email": "budi@example.go.id"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "budi@example.go.id" in mail.outbox[0].to


@pytest.mark.django_db
def test_password_change_requires_old_password(client):
    user = UserFactory(username="budi")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "keliru", "new_password1": "Palangka#2026x", "new_password2": "Palangka#2026x"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_pages_send_content_security_policy_without_inline_scripts(client):
    user = UserFactory(username="budi")
    client.force_login(user)
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
def test_language_switch_to_english(client):
    user = UserFactory(username="budi")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("home"))
    assert 'lang="en"' in response.content.decode()


@pytest.mark.django_db
def test_session_store_ignores_cookie_with_nul_byte(client):
    client.cookies["sessionid"] = "abc\x00def12345"
    response = client.get(reverse("login"))
    assert response.status_code == 200


def test_english_catalogue_translates_interface():
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("en"):
        assert gettext("Masuk") == "Log in"
        assert gettext("Tagihan") == "Amount due"
    with translation.override("id"):
        assert gettext("Masuk") == "Masuk"


@pytest.mark.django_db
def test_lockout_page_is_the_same_for_existing_and_unknown_accounts(client):
    UserFactory(username="budi")
    pages = {}
    for name in ("budi", "tidak_ada"):
        for _ in range(6):
            response = client.post(reverse("login"), {"username": name, "password": "salah"})
        assert response.status_code == 429
        text = response.content.decode()
        pages[name] = text[text.index('data-testid="lockout"') :].split("</div>")[0]
    assert pages["budi"] == pages["tidak_ada"]
    assert "Akun ini" not in pages["budi"]


@pytest.mark.django_db
def test_login_ip_throttle_stops_guessing_over_many_accounts(client, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 8
    UserFactory(username="budi")
    for i in range(8):  # two tries on each of four accounts: no single account reaches its lockout
        response = client.post(reverse("login"), {"username": f"akun{i // 2}", "password": "salah"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "budi", "password": PASSWORD})
    assert response.status_code == 429
    # Another address is not affected.
    other = client.post(reverse("login"), {"username": "budi", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


@pytest.mark.django_db
def test_password_reset_mails_are_rate_limited(client, settings):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 2
    UserFactory(username="budi", email="budi@example.go.id")
    for _ in range(2):
        assert client.post(reverse("password_reset"), {"email": "budi@example.go.id"}).status_code == 302
    response = client.post(reverse("password_reset"), {"email": "BUDI@example.go.id"})
    assert response.status_code == 429
    assert "Terlalu banyak permintaan" in response.content.decode()
    assert len(mail.outbox) == 2
