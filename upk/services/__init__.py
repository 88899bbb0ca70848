"""Writes of the UPK app, one module per sub-domain, each a thin orchestration
over the ledger core (`upk/ledger/`, which owns every money rule and every
ledger write — see docs/ledger.md "Where each rule lives").

Every public service takes keyword-only arguments, checks its actor's
permission first (`upk.permissions.check_*`, which returns the user the
ledger records) and raises `upk.ledger.errors.LedgerError` with an Indonesian
message, changing nothing, when it refuses.

    registry    KSMs, members, loan products (with history)
    loans       application, decision, disbursement, reschedule, write-off, recovery
    repayments  single repayments, collection sheets, reversals
    offline     payments typed on a phone without signal, sent back later (issue 14)
    savings     KSM savings: deposit, withdrawal, arrears cover
    cash        cash vouchers, capital received, loan-loss reserve
    periods     month close/reopen, monthly package, year-end closing
    settings    UPK setup, settings, rule versions (maker-checker), chart of accounts
    imports     an existing UPK's books from XLSX/CSV, through the services above
    history     saving a row with its django-simple-history author and reason

The package imports its sub-modules so `from upk import services` then
`services.loans.loan_apply(...)` names the sub-domain at every call site; the
sub-modules import each other only as `from .x import name` (never the
package), so no import cycle forms (tests/upk/test_layering.py).
"""

from . import cash, history, imports, loans, offline, periods, registry, repayments, savings, settings

__all__ = [
    "cash",
    "history",
    "imports",
    "loans",
    "offline",
    "periods",
    "registry",
    "repayments",
    "savings",
    "settings",
]
