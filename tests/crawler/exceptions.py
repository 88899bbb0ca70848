"""The crawler's one list of exceptions: every finding it tolerates, and why.

An entry matches a finding when its `rule` is the finding's rule, its `url`
(a regular expression) is found in the finding's URL and, if `roles` is set,
the crawl runs as one of those roles. Give every entry a reason; a defect
another engineer is fixing says "pending: <who>". Remove the entry with the
fix: an entry that no longer matches anything fails `test_exceptions_still_needed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Allowed:
    rule: str
    url: str
    reason: str
    roles: tuple[str, ...] = ()


EXCEPTIONS: list[Allowed] = [
    # --- What the crawler does not fetch (rule "skip") ---------------------------
    Allowed(
        "skip",
        r"^/admin/.+/(delete|history)/",
        "Django's admin: the delete confirmation collects every related row (slow on a whole BKM) and the "
        "history pages are django-simple-history's; the admin's lists and forms are crawled",
    ),
    # --- Pages no role is shown a link to (rule "unreached", url = the url name) ---------
    Allowed(
        "unreached",
        r"^(forum:(follow_up_add|follow_up_status|meeting_attendance|meeting_decision_add|meeting_minutes|"
        r"meeting_rsvp|notifications_read|post_moderate|report_close|thread_moderate|thread_reply|thread_watch)|"
        r"reports:(subscription_toggle|warning_acknowledge)|upk:rules_decide|logout|set_language|"
        r"bkm:(notices_read|rplp_item_delete))$",
        "POST-only actions (forms with method=post); the crawler sends no POST",
    ),
    Allowed(
        "unreached",
        r"^bkm:document_publish$",
        "POST-only action (issue 15): staff admins publish or withdraw a document; the crawler sends no POST",
    ),
    Allowed(
        "unreached",
        r"^forum:(training_participant_add|training_participant_remove|training_attendance)$",
        "POST-only actions of the trainings (register, withdraw, record attendance); tests/forum/test_library.py",
    ),
    Allowed(
        "unreached",
        r"^(password_change_done|password_reset_done|password_reset_confirm|password_reset_complete)$",
        "reached only after a POST or from the password-reset e-mail (tests/core/test_auth.py)",
    ),
    Allowed(
        "unreached",
        r"^(api-schema|bkm-detail|kecamatan-detail|kelurahan-detail|pertemuan-detail|usulan-detail|"
        r"upk-indikator-detail|kawasan-kumuh-detail|rplp-detail)$",
        "the open-data API's detail routes and schema: list rows carry ids, not URLs; the schema is fetched by "
        "the Swagger page's script (tests/reports/test_api.py covers them)",
    ),
    Allowed(
        "unreached",
        r"^(forum:thread_first_unread|"
        r"upk:(loan_decide|loan_disburse|recovery|reschedule_decide|writeoff_decide|savings_cover|collection_sheet_done|"
        r"import_status))$",
        "pending: crawler — no unread-topic link for the demo users; the demo city has no pending loan decision or finished "
        "collection sheet or import job, and the two loan cards crawled per kind may not be the write-off or "
        "the loan in arrears that links to recovery / tanggung renteng; tests/crawler/extra_data.py is to add them",
    ),
    Allowed(
        "unreached",
        r"^upk:receipt_shared$",
        "the receipt link sent to a KSM chair by WhatsApp: absolute, on PORTAL_BASE_URL (another host for the "
        "crawler), with a signed token; tests/upk/test_receipts.py and tests/journeys/test_manager_field.py open it",
    ),
    Allowed(
        "unreached",
        r"^(upk:offline_sheets|upk:offline_sync|service_worker|manifest|offline)$",
        "the offline collection's JSON (fetched and POSTed by static/js/offline-collect.js), the service worker "
        "(registered by static/js/pwa.js), the manifest (a <link rel=manifest>) and the page the worker shows "
        "offline; tests/upk/test_offline.py and test_browser_offline.py cover them",
    ),
    Allowed(
        "unreached",
        r"^healthz$",
        "the load balancer's health check (docs/operations.md), not a page users are shown",
    ),
    # --- Findings that are right -------------------------------------------------------
    Allowed(
        "link-refused",
        r"^/api/(usulan|pertemuan|upk-indikator)/",
        "the API root lists every endpoint; these need a login or token (docs/architecture.md, open-data API) "
        "and answer 403 in JSON",
        roles=("anonim",),
    ),
    Allowed(
        "english-text",
        r"^/admin/",
        'Django\'s admin changelist search box has alt="Search" hard-coded in English '
        "(django/contrib/admin/templates/admin/search_form.html); and forum.Report has no verbose_name, so the "
        "admin lists it as 'Reports' — pending: a forum migration, left so as not to clash with the forum "
        "migration of helper `filters`",
    ),
]


def skipped(url: str) -> bool:
    return any(e.rule == "skip" and re.search(e.url, url) for e in EXCEPTIONS)
