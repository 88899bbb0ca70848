"""UPK reports (#1 city, #3 monthly) and their figures: the ledger's selectors, formatted as the PDFs print them."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from reports.models import RunStatus
from reports.pdf import format_decimal, format_month, format_number, format_rupiah
from reports.selectors import package_due_date, upk_city, upk_label
from reports.services import report_request

from .conftest import compact, pdf_text, wait_for_run


def pct(value) -> str:
    return "-" if value is None else f"{format_decimal(value)}%"


@pytest.mark.django_db
def test_upk_city_rows_equal_ledger_selectors_as_of_month_end(upk_portfolio):
    from upk.selectors import indicators_many, kolektibilitas_many, month_end

    after_due = package_due_date(upk_portfolio["year"], upk_portfolio["month"]) + datetime.timedelta(days=1)
    city = upk_city(year=upk_portfolio["year"], month=upk_portfolio["month"], today=after_due)
    as_of = month_end(upk_portfolio["year"], upk_portfolio["month"])
    assert city.as_of == as_of and len(city.trend) == 12 and city.trend[-1].as_of == as_of
    ids = [u.pk for u in upk_portfolio["upks"]]
    expected = indicators_many(upk_ids=ids, as_of=as_of)
    kol = kolektibilitas_many(upk_ids=ids, as_of=as_of)
    assert sorted(r.unit.pk for r in city.rows) == sorted(ids)
    for row in city.rows:
        for code, value in expected[row.unit.pk].values.items():
            assert row.indicators[code].value == value.value and row.indicators[code].band == value.band
        assert [(b.loans, b.outstanding) for b in row.kolektibilitas.buckets] == [
            (b.loans, b.outstanding) for b in kol[row.unit.pk].buckets
        ]
        assert row.kolektibilitas.booked_reserve == kol[row.unit.pk].booked_reserve
    assert city.city.figures.outstanding == sum(k.outstanding for k in kol.values())
    good, stopped, late = (next(r for r in city.rows if r.unit.pk == u.pk) for u in upk_portfolio["upks"])
    assert good.submitted and not stopped.submitted and stopped.expected
    assert any("belum dikirim" in reason for reason in stopped.reasons)
    assert any(reason.startswith("PAR naik tiga bulan berturut-turut") for reason in stopped.reasons)
    pars = [v.value for v in stopped.par_history]
    assert pars[-1] > pars[-2] > pars[-3] > pars[-4]
    assert not any("belum dikirim" in reason for reason in good.reasons)


@pytest.mark.django_db
def test_bulanan_upk_request_manager_own_upk_only(upk_portfolio, client):
    upk_a, upk_b = upk_portfolio["upks"][:2]
    manager_a = upk_portfolio["managers"][0]
    params = {"upk": upk_b.pk, "period": upk_portfolio["period"]}
    with pytest.raises(Http404):
        report_request(user=manager_a, report_type="bulanan_upk", params=params)
    with pytest.raises(PermissionDenied):
        report_request(user=manager_a, report_type="kinerja_upk_kota", params={"period": upk_portfolio["period"]})
    client.force_login(manager_a)
    url = reverse("reports:request_form", args=["bulanan_upk"])
    assert client.post(url, params).status_code == 404
    assert client.post(
        reverse("reports:request_form", args=["kinerja_upk_kota"]), {"period": "2026-01"}
    ).status_code in (403, 404)
    # The form offers the manager's own UPK only.
    page = client.get(url).content.decode()
    assert upk_label(upk_a) in page and upk_label(upk_b) not in page


@pytest.mark.django_db
def test_period_field_rejects_bad_and_future_months(staff_admin):
    from reports.builders.kinerja_upk_kota import Params

    for bad, message in [("2026-13", "TTTT-BB"), ("maret", "TTTT-BB"), ("2099-01", "masa depan")]:
        form = Params(data={"period": bad}, user=staff_admin)
        assert not form.is_valid() and message in str(form.errors["period"])
    assert Params(data={"period": "2026-03"}, user=staff_admin).is_valid()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_report_generate_kinerja_upk_kota_shows_ledger_figures(celery_worker, upk_portfolio, staff_admin):
    period = upk_portfolio["period"]
    run = wait_for_run(report_request(user=staff_admin, report_type="kinerja_upk_kota", params={"period": period}).pk)
    assert run.status == RunStatus.DONE, run.error_message
    text = pdf_text(run)
    flat = compact(text)
    city = upk_city(year=upk_portfolio["year"], month=upk_portfolio["month"])
    assert f"per {format_month(city.as_of)}" in text
    for i, row in enumerate(city.rows, start=1):
        cells = " ".join(
            f"{pct(row.indicators[c].value)} {row.indicators[c].band_label}"
            for c in ("lar", "par", "ccr", "roi", "rr", "collection_rate")
        )
        expected = (
            f"{i} {row.label} {row.kecamatan} {format_rupiah(row.indicators.figures.outstanding)} {cells} "
            f"{format_rupiah(row.kolektibilitas.required_reserve)} {format_rupiah(row.kolektibilitas.booked_reserve)}"
        )
        assert compact(expected) in flat
    for row in city.attention:
        assert compact(f"{row.label} {row.kecamatan} {'; '.join(row.reasons)}") in flat
    for k in [*city.by_kecamatan]:
        values = " ".join(pct(k.values[c]) for c in ("lar", "par", "ccr", "roi", "rr", "collection_rate"))
        # Two tables per kecamatan (money, then indicators), so the portrait page holds them.
        assert (
            compact(
                f"{k.label} {format_number(k.upks)} {format_number(k.figures.active_ksm)} "
                f"{format_rupiah(k.figures.outstanding)} {format_rupiah(k.required_reserve)} "
                f"{format_rupiah(k.booked_reserve)}"
            )
            in flat
        )
        assert compact(f"{k.label} {values}") in flat
    for _code, name, loans, outstanding, required in city.kol_buckets:
        assert compact(f"{name} {format_number(loans)} {format_rupiah(outstanding)} {format_rupiah(required)}") in flat
    for p in city.trend:
        assert (
            compact(
                f"{format_month(p.as_of)} {format_rupiah(p.figures.outstanding)} {pct(p.values['lar'])} "
                f"{pct(p.values['par'])} {pct(p.values['rr'])} {pct(p.values['collection_rate'])}"
            )
            in flat
        )
    assert "<svg" not in text  # charts are drawn, not printed as markup


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_report_generate_bulanan_upk_shows_monthly_package(celery_worker, upk_portfolio):
    from upk.models import KSM
    from upk.selectors import monthly_package

    unit, manager = upk_portfolio["upks"][1], upk_portfolio["managers"][1]
    params = {"upk": unit.pk, "period": upk_portfolio["period"]}
    run = wait_for_run(report_request(user=manager, report_type="bulanan_upk", params=params).pk)
    assert run.status == RunStatus.DONE, run.error_message
    flat = compact(pdf_text(run))
    package = monthly_package(upk=unit, year=upk_portfolio["year"], month=upk_portfolio["month"])
    assert compact(f"Laporan Bulanan {upk_label(unit)}") in flat
    for check in package.checks:
        verdict = "Sesuai" if check.ok else "TIDAK SESUAI"
        assert compact(f"{check.name} {verdict} {check.detail}") in flat
    for v in package.indicators.values.values():
        assert compact(f"{v.label} {pct(v.value)} {v.band_label}") in flat
    kol = package.kolektibilitas
    for b in kol.buckets:
        assert compact(f"{b.name} {format_number(b.loans)} {format_rupiah(b.outstanding)}") in flat
    assert compact(f"Cadangan Resiko Pinjaman tercatat {format_rupiah(kol.booked_reserve)}") in flat
    bs = package.neraca
    assert compact(f"{format_rupiah(bs.total_assets)} / {format_rupiah(bs.total_liabilities_equity)}") in flat
    assert compact(f"Surplus/defisit {format_rupiah(package.laba_rugi.surplus)}") in flat
    names = dict(KSM.objects.values_list("pk", "name"))
    assert package.lpp.rows
    for r in package.lpp.rows:
        assert (
            compact(
                f"{r.number} {names[r.ksm_id]} {format_rupiah(r.principal)} {format_rupiah(r.target_pokok)} "
                f"{format_rupiah(r.target_jasa)} {format_rupiah(r.pokok_before)} {format_rupiah(r.pokok_month)} "
                f"{format_rupiah(r.jasa_month)} {format_rupiah(r.pokok_to_date)} {format_rupiah(r.jasa_to_date)} "
                f"{format_rupiah(r.outstanding)} {format_rupiah(r.arrears)} {r.kol + 1}"
            )
            in flat
        )
    assert compact(f"Jumlah saldo {format_rupiah(package.lpp.outstanding)}") in flat


def test_par_rules_band_worsened_and_rising_three_months():
    from decimal import Decimal

    from reports.selectors import par_band_worsened, par_rising
    from upk.selectors import IndicatorValue

    def v(value, band):
        return IndicatorValue("par", "PAR", Decimal(value), band)

    assert par_band_worsened(v(5, "sehat"), v(12, "kurang_sehat"))
    assert not par_band_worsened(v(25, "tidak_sehat"), v(12, "kurang_sehat"))
    assert not par_band_worsened(None, v(12, "kurang_sehat"))
    assert par_rising([Decimal(1), Decimal(2), Decimal(3), Decimal(4)])
    assert not par_rising([Decimal(1), Decimal(2), Decimal(2), Decimal(4)])
    assert not par_rising([None, Decimal(2), Decimal(3), Decimal(4)])
    assert not par_rising([Decimal(2), Decimal(3), Decimal(4)])


@pytest.mark.django_db
def test_upk_par_worse_warns_of_par_rising_three_months(upk_portfolio):
    from reports.selectors import upk_par_alerts
    from reports.warnings import upk_par_worse

    good, rising, _late = upk_portfolio["upks"]
    warnings = {w.subject: w for w in upk_par_worse()}
    assert upk_label(rising) in warnings and upk_label(good) not in warnings
    (alert,) = [a for a in upk_par_alerts(year=upk_portfolio["year"], month=upk_portfolio["month"]) if a.unit == rising]
    assert alert.rising
    w = warnings[upk_label(rising)]
    assert "PAR naik tiga bulan berturut-turut: " + " → ".join(pct(v.value) for v in alert.history) in w.reason
    assert w.key == f"upk-par:{rising.pk}:{upk_portfolio['period']}" and w.url == reverse("upk:home", args=[rising.pk])


@pytest.mark.django_db
def test_upk_month_not_submitted_after_due_day(upk_portfolio, settings):
    from reports.warnings import upk_month_not_submitted

    good, stopped, late = upk_portfolio["upks"]
    settings.REPORTS_UPK_PACKAGE_DUE_DAY = 0
    warnings = {w.subject: w for w in upk_month_not_submitted()}
    assert set(warnings) == {upk_label(stopped), upk_label(late)}
    assert "belum dikirim" in warnings[upk_label(late)].reason
    settings.REPORTS_UPK_PACKAGE_DUE_DAY = 31  # not due yet
    assert list(upk_month_not_submitted()) == []


@pytest.mark.django_db
def test_dashboard_upk_panel_shows_city_figures_with_bounded_queries(
    client, staff_admin, upk_portfolio, django_assert_max_num_queries
):
    from django.utils import timezone

    from reports.selectors import upk_snapshot
    from tests.factories import BKMFactory
    from upk import services

    client.force_login(staff_admin)
    with django_assert_max_num_queries(80) as before:
        page = client.get(reverse("reports:dashboard")).content.decode()
    snapshot = upk_snapshot(as_of=timezone.localdate())
    assert 'data-testid="upk-panel"' in page
    assert format_rupiah(snapshot.city.figures.outstanding) in page
    for k in snapshot.by_kecamatan:
        assert f"<td>{k.label}</td>" in page and pct(k.values["par"]) in page
    for _code, name, loans, outstanding, _req in snapshot.kol_buckets:
        assert name in page and format_rupiah(outstanding) in page
    for _ in range(3):
        services.settings.upk_setup(upk=BKMFactory().units.get(unit_type="upk"))
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("reports:dashboard"))


@pytest.mark.django_db
def test_api_upk_indicators_need_token_equal_ledger_and_follow_upk_filter(client, upk_portfolio, staff_viewer):
    import csv
    import io
    from decimal import Decimal

    from rest_framework.authtoken.models import Token

    from upk.selectors import indicators_many, month_end

    period = upk_portfolio["period"]
    url = f"/api/upk-indikator/?period={period}"
    assert client.get(url).status_code in (401, 403)
    token = Token.objects.create(user=staff_viewer)
    data = client.get(url, HTTP_AUTHORIZATION=f"Token {token.key}").json()
    ids = [u.pk for u in upk_portfolio["upks"]]
    assert data["count"] == 3
    expected = indicators_many(upk_ids=ids, as_of=month_end(upk_portfolio["year"], upk_portfolio["month"]))
    for row in data["results"]:
        ind = expected[row["upk"]]
        assert row["outstanding"] == ind.figures.outstanding and isinstance(row["outstanding"], int)
        for code in ("lar", "par", "ccr", "roi", "rr", "collection_rate"):
            value = ind[code].value
            assert (row[code] is None and value is None) or Decimal(str(row[code])) == value
            assert row[f"{code}_band"] == ind[code].band
        # Aggregates only: nothing about KSMs, members or NIKs.
        assert not {"nik", "name", "members", "ksm"} & set(row)
    manager = upk_portfolio["managers"][1]
    mine = Token.objects.create(user=manager)
    data = client.get(url, HTTP_AUTHORIZATION=f"Token {mine.key}").json()
    assert [r["upk"] for r in data["results"]] == [upk_portfolio["upks"][1].pk]
    other = upk_portfolio["upks"][0].pk
    assert client.get(f"/api/upk-indikator/{other}/", HTTP_AUTHORIZATION=f"Token {mine.key}").status_code == 404
    assert client.get("/api/upk-indikator/?period=2026-13", HTTP_AUTHORIZATION=f"Token {mine.key}").status_code == 400
    response = client.get(url + "&format=csv", HTTP_AUTHORIZATION=f"Token {token.key}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert sorted(int(r["upk"]) for r in rows) == sorted(ids)


@pytest.mark.django_db
def test_upk_city_and_warning_flag_missing_package_only_after_the_due_day(upk_portfolio, settings):
    """One rule for the city report and the early warning: before the due day nothing is missing."""
    from reports.selectors import upk_packages_missing
    from reports.warnings import upk_month_not_submitted

    settings.REPORTS_UPK_PACKAGE_DUE_DAY = 10
    year, month = upk_portfolio["year"], upk_portfolio["month"]
    due = package_due_date(year, month)
    assert due == datetime.date(year + month // 12, month % 12 + 1, 10)
    _good, stopped, _late = upk_portfolio["upks"]
    for today, flagged in [(due, False), (due + datetime.timedelta(days=1), True)]:
        city = upk_city(year=year, month=month, today=today, trend_months=4)
        row = next(r for r in city.rows if r.unit.pk == stopped.pk)
        assert row.package_missing is flagged
        assert any("belum dikirim" in reason for reason in row.reasons) is flagged
        missing = {u.pk for u in upk_packages_missing(year=year, month=month, today=today)}
        assert (stopped.pk in missing) is flagged
        assert {r.unit.pk for r in city.rows if r.package_missing} == missing
    # The warning reads today's date: the same rule, so it agrees with the report made today.
    today = datetime.date.today()
    city = upk_city(year=year, month=month, trend_months=4)
    warned = {w.subject_id for w in upk_month_not_submitted()}
    assert warned == {r.unit.pk for r in city.rows if r.package_missing}
    assert bool(warned) is (today > due)
