from __future__ import annotations

import csv
import io

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from bkm.models import BKM
from pokja_portal.wsgi import application
from reports.selectors import proposal_list
from tests.factories import BKMFactory, UserFactory

from .factories import ProposalFactory


def _schema_dict() -> dict:
    import yaml

    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


@pytest.mark.django_db
def test_api_schema_is_valid_openapi_3():
    spec = _schema_dict()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    for path in ("/api/kecamatan/", "/api/kelurahan/", "/api/bkm/", "/api/usulan/", "/api/pertemuan/"):
        assert path in spec["paths"]
    upk = spec["paths"]["/api/upk-indikator/"]["get"]
    assert {p["name"] for p in upk["parameters"]} >= {"period", "kecamatan", "page", "page_size"}
    # Token or session required: the operation declares security schemes and no anonymous access.
    assert upk.get("security") and {} not in upk["security"]


@pytest.mark.django_db
def test_api_docs_page_uses_vendored_swagger_without_inline_script(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page and "/static/js/api-docs.js" in page
    assert "<script>" not in page and "style=" not in page and "http" not in page.split("<body>")[1]


@pytest.mark.django_db
def test_api_public_lists_need_no_login_and_show_public_fields_only(client, bkm):
    BKM.objects.filter(pk=bkm.pk).update(phone="08123456789", email="rahasia@example.org")
    data = client.get("/api/bkm/").json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["name"] == bkm.name and row["kecamatan_name"] == bkm.kelurahan.kecamatan.name
    assert "phone" not in row and "email" not in row and "08123456789" not in str(data)
    assert client.get("/api/kelurahan/").json()["count"] == 30
    assert client.get("/api/kecamatan/").json()["count"] == 5


@pytest.mark.django_db
def test_api_proposals_need_token_and_apply_screen_filters(client, collaboration, staff_viewer):
    assert client.get("/api/usulan/").status_code in (401, 403)
    token = Token.objects.create(user=staff_viewer)
    data = client.get("/api/usulan/", HTTP_AUTHORIZATION=f"Token {token.key}").json()
    assert data["count"] == len(collaboration["proposals"])
    bkm = collaboration["bkms"][0]
    member = UserFactory(role="bkm_member", bkm=bkm)
    member_token = Token.objects.create(user=member)
    data = client.get("/api/usulan/", HTTP_AUTHORIZATION=f"Token {member_token.key}").json()
    assert {row["bkm"] for row in data["results"]} == {bkm.pk}
    assert data["count"] == proposal_list().filter(bkm=bkm).count()
    row = data["results"][0]
    assert isinstance(row["budget_proposed"], int)


@pytest.mark.django_db
def test_api_csv_variant_returns_all_rows(client, collaboration, staff_admin):
    response = client.get("/api/kelurahan/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 30  # all of them, not one page
    assert set(rows[0]) == {"id", "code", "name", "kecamatan", "kecamatan_name"}
    client.force_login(staff_admin)
    body = client.get("/api/usulan/?format=csv&year=2026").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    expected = proposal_list(year=2026)
    assert sorted(int(r["id"]) for r in rows) == sorted(p.pk for p in expected)
    assert {int(r["budget_proposed"]) for r in rows} == {int(p.budget_proposed) for p in expected}


@pytest.mark.django_db
def test_api_bad_filter_is_a_clear_400(client):
    response = client.get("/api/kelurahan/?kecamatan=abc")
    assert response.status_code == 400 and "bilangan bulat" in response.content.decode()


@pytest.mark.django_db
def test_api_lists_run_bounded_queries(client, staff_admin, django_assert_max_num_queries):
    client.force_login(staff_admin)
    urls = ["/api/bkm/", "/api/usulan/", "/api/kelurahan/", "/api/pertemuan/", "/api/upk-indikator/"]
    from tests.forum.factories import MeetingFactory

    ProposalFactory()
    MeetingFactory().invited_bkms.set([BKMFactory()])
    counts = {}
    for url in urls:
        # 12: upk-indikator computes its figures cold here, then stores them (upk/figures.py: +1 look-up,
        # +1 store, +1 savepoint pair inside the test's transaction).
        with django_assert_max_num_queries(12) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured.captured_queries)
    for _ in range(8):
        ProposalFactory(bkm=(new_bkm := BKMFactory()))
        MeetingFactory().invited_bkms.set([new_bkm])
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            client.get(url)


# Auth values are ours (a real token below), not generated: a generated session cookie with a NUL byte
# makes Django's database session backend fail on PostgreSQL before our API runs (reported to the lead).
schema = schemathesis.from_wsgi(
    "/api/schema/", application, generation_config=schemathesis.GenerationConfig(with_security_parameters=False)
)


@pytest.fixture
def keep_db_connection():
    """Like Django's test client: the WSGI app must not close the test's connection (it holds the transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_token(db):
    user = UserFactory(role="staff_viewer", username="api-robot")
    return Token.objects.create(user=user).key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_schemathesis_conforms(case, api_token, bkm, keep_db_connection):
    response = case.call_wsgi(headers={"Authorization": f"Token {api_token}"})
    case.validate_response(response, checks=(not_a_server_error, response_schema_conformance, content_type_conformance))


@pytest.mark.django_db
def test_api_meetings_need_login_show_public_fields_through_forum_filter(client, collaboration, staff_admin):
    from tests.forum.factories import MeetingFactory

    bkms = collaboration["bkms"]
    open_meeting = MeetingFactory(
        title="Pertemuan terbuka", minutes="Notulen rahasia", online_link="https://rapat.example/x"
    )
    invited = MeetingFactory(title="Pertemuan undangan")
    invited.invited_bkms.set([bkms[1]])
    assert client.get("/api/pertemuan/").status_code in (401, 403)
    member = UserFactory(role="bkm_member", bkm=bkms[0])
    token = Token.objects.create(user=member)
    data = client.get("/api/pertemuan/", HTTP_AUTHORIZATION=f"Token {token.key}").json()
    assert [row["title"] for row in data["results"]] == ["Pertemuan terbuka"]
    row = data["results"][0]
    assert set(row) == {"id", "title", "agenda", "starts_at", "ends_at", "place", "invited_bkms", "decisions"}
    assert "Notulen" not in str(row) and "rapat.example" not in str(row)
    client.force_login(staff_admin)
    data = client.get("/api/pertemuan/").json()
    assert {r["title"] for r in data["results"]} == {"Pertemuan terbuka", "Pertemuan undangan"}
    assert next(r for r in data["results"] if r["id"] == invited.pk)["invited_bkms"] == [bkms[1].pk]
    assert open_meeting.pk in {r["id"] for r in data["results"]}
