"""The public pages: anonymous, cached, bounded queries; `/` per visitor; staff publish and upload geometry."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bkm.models import BKM, GeometrySource, Kelurahan, SlumArea
from tests.factories import BoardMemberFactory, SlumAreaFactory, UserFactory

SQUARE = [[113.90, -2.22], [113.92, -2.22], [113.92, -2.20], [113.90, -2.20], [113.90, -2.22]]
POLYGON = json.dumps({"type": "Polygon", "coordinates": [SQUARE]}).encode()


def _queries(client: Client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response


@pytest.mark.django_db
def test_signed_in_user_on_public_page_is_never_served_from_or_stored_in_the_cache(bkm, client):
    user = UserFactory(role="bkm_member", bkm=bkm, first_name="Rahasia", last_name="Pengguna")
    client.force_login(user)
    response = client.get(reverse("public:bkm", args=[bkm.pk]))
    assert response.status_code == 200 and "X-Public-Cache" not in response
    assert "private" in response["Cache-Control"]
    anonymous = Client().get(reverse("public:bkm", args=[bkm.pk]))
    assert anonymous["X-Public-Cache"] == "miss"


@pytest.mark.django_db
def test_an_edit_shows_at_once_on_the_cached_page(bkm):
    client = Client()
    url = reverse("public:bkm", args=[bkm.pk])
    assert "Nama Baru BKM" not in client.get(url).content.decode()
    assert client.get(url)["X-Public-Cache"] == "hit"
    from bkm.services import bkm_update_profile

    bkm_update_profile(bkm=bkm, data={"name": "Nama Baru BKM"})
    response = client.get(url)
    assert response["X-Public-Cache"] == "miss" and "Nama Baru BKM" in response.content.decode()


@pytest.mark.django_db
def test_public_bkm_page_shows_board_names_not_nik_or_phone(bkm, client):
    BoardMemberFactory(bkm=bkm, name="Yuliana Bungai", nik="6271014503850002", phone="081349001122")
    BKM.objects.filter(pk=bkm.pk).update(phone="0536-3221100", email="bkm@contoh.id", address="Jl. Rahasia 7")
    page = client.get(reverse("public:bkm", args=[bkm.pk])).content.decode()
    assert "Yuliana Bungai" in page
    for secret in ("6271014503850002", "081349001122", "0536-3221100", "bkm@contoh.id", "Jl. Rahasia 7"):
        assert secret not in page
    assert client.get(reverse("public:bkm", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_documents_are_public_only_when_staff_publish_them(bkm, client, staff_admin, staff_viewer):
    from bkm.services import document_create

    upload = SimpleUploadedFile("adart.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    document = document_create(
        bkm=bkm, doc_type="adart", title="AD/ART 2024", description="", upload=upload, note="", actor=staff_admin
    )
    public_url = reverse("public:bkm", args=[bkm.pk])
    download = reverse("public:document_download", args=[document.pk])
    assert "AD/ART 2024" not in client.get(public_url).content.decode()
    assert client.get(download).status_code == 404
    toggle = reverse("bkm:document_publish", args=[bkm.pk, document.pk])
    client.force_login(staff_viewer)
    assert client.post(toggle, {"published": "1"}).status_code == 403
    client.force_login(staff_admin)
    assert 'data-testid="publish-toggle"' in client.get(reverse("bkm:records", args=[bkm.pk])).content.decode()
    assert client.post(toggle, {"published": "1"}).status_code == 302
    document.refresh_from_db()
    assert document.published
    assert document.history.first().history_user == staff_admin  # audited
    anonymous = Client()
    assert "AD/ART 2024" in anonymous.get(public_url).content.decode()
    response = anonymous.get(download)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.post(toggle, {"published": "0"})
    assert Client().get(download).status_code == 404


@pytest.mark.django_db
def test_staff_upload_kelurahan_boundary_and_slum_delineation(client, staff_admin, staff_viewer):
    kelurahan = Kelurahan.objects.get(name="Menteng")
    area = SlumAreaFactory(kelurahan=kelurahan)
    url = reverse("bkm:kelurahan_boundary", args=[kelurahan.pk])
    client.force_login(staff_viewer)
    assert client.get(url).status_code == 403
    client.force_login(staff_admin)
    assert client.get(reverse("bkm:kelurahan_list")).status_code == 200
    bad = json.dumps({"type": "Point", "coordinates": [113.9, -2.2]}).encode()
    response = client.post(url, {"file": SimpleUploadedFile("batas.geojson", bad)})
    assert response.status_code == 400
    assert "Jenis geometri Point tidak diterima" in response.content.decode()
    kelurahan.refresh_from_db()
    assert kelurahan.boundary is None
    response = client.post(url, {"file": SimpleUploadedFile("batas.geojson", POLYGON)})
    assert response.status_code == 302
    kelurahan.refresh_from_db()
    assert kelurahan.boundary["type"] == "MultiPolygon"
    assert kelurahan.boundary_source == GeometrySource.UPLOAD
    area_url = reverse("bkm:slum_geometry", args=[area.pk])
    assert client.post(area_url, {"file": SimpleUploadedFile("kawasan.geojson", POLYGON)}).status_code == 302
    area.refresh_from_db()
    assert area.geometry["coordinates"] == [[SQUARE]]
    data = Client().get(reverse("public:map_data")).json()
    assert [f["properties"]["name"] for f in data["kelurahan"]["features"]] == ["Menteng"]
    assert data["slum_areas"]["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert data["demo"] is False
    assert client.post(area_url, {"remove": "on"}).status_code == 302
    assert SlumArea.objects.get(pk=area.pk).geometry is None


@pytest.mark.django_db
def test_geometry_upload_over_the_size_limit_is_refused_before_reading(client, staff_admin, settings):
    settings.GEOJSON_MAX_BYTES = 1024
    kelurahan = Kelurahan.objects.get(name="Menteng")
    client.force_login(staff_admin)
    big = POLYGON + b" " * 4096
    response = client.post(
        reverse("bkm:kelurahan_boundary", args=[kelurahan.pk]), {"file": SimpleUploadedFile("b.geojson", big)}
    )
    assert response.status_code == 400
    assert "terlalu besar (5 KB; paling besar 1 KB)" in response.content.decode()
    kelurahan.refresh_from_db()
    assert kelurahan.boundary is None
