"""A UPK manager collects a 30-loan sheet at a KSM meeting without signal (issue 14)."""

from __future__ import annotations

import pytest

from tests.conftest import browser_login, screenshot
from tests.factories import UserFactory
from upk import selectors, services
from upk.models import Repayment
from upk.queries import today

from .factories_ui import fund, make_portfolio

TYPED = ["Rp 100.000", "100.000", "150000", "Rp 75.500"]  # written as managers write them; the rest "Penuh"


def _wait_ready(page) -> None:
    page.wait_for_selector("[data-testid=offline-collect][data-ready='1']")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_collect_offline_sheet_posts_once_after_reconnect(page, bkm):
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_luring")
    manager.upk_units.set([upk])
    fund(upk, manager)
    loans = make_portfolio(upk, manager, 31, today=today(), months_ago=3, paid_up_to=1)
    paid_meanwhile = loans[7]
    before = Repayment.objects.filter(upk=upk).count()

    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, "manajer_luring")
    page.goto(f"{page.base_url}/upk/{upk.pk}/")
    page.get_by_test_id("open-collect-offline").click()
    _wait_ready(page)
    # The worker keeps this page for the visit without signal.
    page.wait_for_selector("[data-testid=offline-collect][data-page-kept='1']")
    assert page.locator("[data-rows] tr[data-loan]").count() == 31

    context = page.context
    context.set_offline(True)
    # At the meeting: every KSM pays; a few amounts are typed, the rest are the full Tagihan.
    for i, loan in enumerate(loans):
        row = page.locator(f"[data-rows] tr[data-loan='{loan.number}']")
        if i < len(TYPED):
            row.locator("input").fill(TYPED[i])
        else:
            row.get_by_role("button", name="Penuh").click()
    page.get_by_test_id("save-entries").click()
    page.wait_for_selector("[data-testid=waiting-count][data-count='31']")
    screenshot(page, "upk-collect-offline-waiting")

    # Still without signal, the page is reloaded (the phone was locked, the tab reopened): nothing is lost.
    response = page.reload()
    assert response is not None and response.from_service_worker
    _wait_ready(page)
    assert page.get_by_test_id("waiting-count").get_attribute("data-count") == "31"
    assert page.get_by_test_id("net-status").get_attribute("data-state") == "offline"
    # A second tab on the same phone, also offline: it must not send the entries a second time.
    second = context.new_page()
    second.goto(f"{page.base_url}/upk/{upk.pk}/penagihan/luring/")
    _wait_ready(second)
    # Any other page says plainly that the network is needed.
    other = context.new_page()
    other.goto(f"{page.base_url}/upk/{upk.pk}/pinjaman/")

    assert "perlu jaringan" in other.get_by_test_id("offline-page").inner_text()
    other.close()
    assert Repayment.objects.filter(upk=upk).count() == before

    # Meanwhile at the office the loan is paid off in full.
    # Every instalment, the future ones too: the sheet's Tagihan of a date past the last one.
    everything = selectors.due_list(upk=upk, on=today(), within_days=3660)
    owed = next(r.expected for r in everything if r.loan.pk == paid_meanwhile.pk)
    services.repayments.repayment_record(
        loan=paid_meanwhile, amount=owed, paid_on=today(), actor=manager, idempotency_key="kantor-lunas"
    )
    paid_meanwhile.refresh_from_db()
    assert paid_meanwhile.status == "paid_off"

    context.set_offline(False)
    page.wait_for_selector("[data-testid=waiting-count][data-count='0']", timeout=60_000)
    second.wait_for_selector("[data-testid=waiting-count][data-count='0']", timeout=30_000)
    results = page.locator("[data-testid=results] [data-testid=result]")
    assert results.count() == 31
    accepted = page.locator("[data-testid=result][data-status=accepted]")
    assert accepted.count() == 30
    assert all(text.strip() for text in accepted.locator("[data-testid=receipt]").all_inner_texts())
    refused = page.locator("[data-testid=result][data-status=refused]")
    assert refused.count() == 1
    assert refused.get_attribute("data-loan") == paid_meanwhile.number
    assert "tidak aktif" in refused.get_by_test_id("reason").inner_text()
    page.bring_to_front()  # the second tab came later: a background tab paints no screenshot
    screenshot(page, "upk-collect-offline-sent")

    # Resending (button, reload, the other tab) posts nothing more.
    page.reload()
    _wait_ready(page)
    second.get_by_test_id("send-now").click(force=True)
    second.close()
    posted = Repayment.objects.filter(upk=upk).exclude(idempotency_key__endswith="kantor-lunas")
    assert posted.count() == before + 30
    assert posted.filter(loan=paid_meanwhile).count() == 1  # only its first instalment, paid before
    receipts = set(accepted.locator("[data-testid=receipt]").all_inner_texts())
    assert receipts == set(posted.filter(paid_on=today()).values_list("receipt_number", flat=True))


AGE_STORED_SHEETS = """async () => {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open("pokja-offline", 1); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
  });
  const tx = db.transaction("sheets", "readwrite");
  const store = tx.objectStore("sheets");
  const all = await new Promise((ok) => { const r = store.getAll(); r.onsuccess = () => ok(r.result); });
  for (const bundle of all) {
    bundle.sheets = bundle.sheets.map((s) => {
      const d = new Date(s.date + "T12:00:00"); d.setDate(d.getDate() - 7);
      return { ...s, date: d.toISOString().slice(0, 10) };
    });
    store.put(bundle);
  }
  await new Promise((ok) => { tx.oncomplete = ok; });
  db.close();
  return all.length;
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_collect_offline_warns_before_using_a_sheet_older_than_its_date(page, bkm):
    upk = bkm.units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager", username="manajer_lama")
    manager.upk_units.set([upk])
    fund(upk, manager)
    make_portfolio(upk, manager, 2, today=today(), months_ago=3, paid_up_to=1)

    page.set_viewport_size({"width": 360, "height": 780})
    browser_login(page, "manajer_lama")
    page.goto(f"{page.base_url}/upk/{upk.pk}/penagihan/luring/")
    _wait_ready(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone
    page.wait_for_selector("[data-testid=offline-collect][data-page-kept='1']")
    assert page.get_by_test_id("stale-warning").is_hidden()
    page.context.set_offline(True)
    # A week passes without signal: every stored sheet is now older than its date.
    assert page.evaluate(AGE_STORED_SHEETS) == 1
    page.reload()
    _wait_ready(page)
    warning = page.get_by_test_id("stale-warning")
    assert warning.is_visible()
    assert "sudah lewat" in warning.inner_text()
    inputs = page.locator("[data-rows] input")
    assert inputs.count() == 2
    assert all(inputs.nth(i).is_disabled() for i in range(2))
    assert page.get_by_test_id("save-entries").is_disabled()
    page.get_by_test_id("stale-confirm").click()
    assert warning.is_hidden()
    assert all(inputs.nth(i).is_enabled() for i in range(2))
