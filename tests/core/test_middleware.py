"""NUL bytes are a 400 before any view; signed-in pages and downloads are never cached."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/forum/cari/?q=%00", "/bkm/?q=a%00b", "/api/kelurahan/?kecamatan=%00", "/masuk/?next=%00", "/bkm/?%00=1"],
)
def test_reject_nul_middleware_answers_400(client, staff_admin, url):
    client.force_login(staff_admin)
    assert client.get(url).status_code == 400


@pytest.mark.django_db
def test_private_cache_middleware_marks_signed_in_pages(client, staff_admin):
    client.force_login(staff_admin)
    response = client.get(reverse("bkm:list"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_private_cache_middleware_leaves_anonymous_pages(client):
    response = client.get("/api/kelurahan/")
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_private_cache_middleware_marks_anonymous_downloads(client):
    response = client.get("/api/kelurahan/?format=csv")
    assert response["Cache-Control"] == "private, no-store"
