"""Indonesian first; error pages in the portal's layout (issue 10, item 5)."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from core.errors import server_error
from tests.factories import PASSWORD, UserFactory

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


@pytest.mark.django_db
def test_english_browser_gets_indonesian_interface(client):
    client.force_login(UserFactory(username="budi"))
    response = client.get(reverse("home"), **ENGLISH_BROWSER)
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert response["Content-Language"] == "id"
    assert "Keluar" in html


@pytest.mark.django_db
def test_english_browser_gets_indonesian_login_page(client):
    html = client.get(reverse("login"), **ENGLISH_BROWSER).content.decode()
    assert '<html lang="id">' in html


@pytest.mark.django_db
def test_user_who_picks_english_gets_english_and_can_switch_back(client):
    client.force_login(UserFactory(username="budi"))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "id", "next": "/"}, **ENGLISH_BROWSER)
    assert '<html lang="id">' in client.get(reverse("home"), **ENGLISH_BROWSER).content.decode()


@pytest.mark.django_db
def test_unknown_language_cookie_falls_back_to_indonesian(client):
    client.cookies["django_language"] = "fr"
    assert '<html lang="id">' in client.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_forbidden_page_is_indonesian_with_navigation(client, member):
    client.force_login(member)
    response = client.get(reverse("reports:dashboard"), **ENGLISH_BROWSER)
    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="id">' in html
    assert "Akses ditolak" in html
    assert 'id="mainnav"' in html  # the menu, so there is a way back
    assert f'href="{reverse("home")}"' in html
    assert "Forbidden" not in html


@pytest.mark.django_db
def test_not_found_page_is_indonesian_with_navigation(client, member):
    client.force_login(member)
    response = client.get("/tidak-ada/", **ENGLISH_BROWSER)
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="id">' in html
    assert "Halaman tidak ditemukan" in html
    assert 'id="mainnav"' in html


@pytest.mark.django_db
def test_not_found_page_offers_login_to_visitor(client):
    html = client.get("/tidak-ada/").content.decode()
    assert "Halaman tidak ditemukan" in html
    assert f'href="{reverse("login")}"' in html


@pytest.mark.django_db
def test_server_error_page_is_indonesian_with_navigation(member):
    request = RequestFactory().get("/")
    request.user = member
    response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="id">' in html
    assert "Terjadi gangguan" in html
    assert 'id="mainnav"' in html


def test_server_error_page_renders_without_a_working_request():
    """When the request context itself fails (e.g. no user: the database broke), the page still renders."""
    request = RequestFactory().get("/")  # no .user: the auth context processor fails
    response = server_error(request)
    assert response.status_code == 500
    assert "Terjadi gangguan" in response.content.decode()


@pytest.mark.django_db
def test_csrf_failure_page_is_indonesian():
    client = Client(enforce_csrf_checks=True)
    user = UserFactory(username="budi")
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, **ENGLISH_BROWSER)
    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="id">' in html
    assert "Formulir kedaluwarsa" in html
