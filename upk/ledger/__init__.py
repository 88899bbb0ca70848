"""The ledger core of the UPK app: the only author of every money rule and
every ledger write. Services (the `upk/services/` package) orchestrate over it; screens,
import, demo and bench go through the services. Nothing here imports the app
above it (tests/upk/test_layering.py).

Where each rule lives:
- `engine`      schedules, rounding, member splits, allocation order, late fee (pure, no database)
- `books`       a loan's books, the replay plan (pieces, reallocations, paid cache, loan state), schedules
- `repayments`  posting repayments on locked loans: single, collection sheet, savings cover, import
- `journal`     balanced entries and their legs (component → account), reallocation entries
- `writes`      THE bulk writer: one statement for entries, lines, numbers, repayments, allocations, state
- `locks`       THE place loan (and KSM) rows are locked, pk order, with the why
- `numbering`   gapless per-UPK counters (journal, receipt, loan numbers)
- `periods`     which dates may be posted: closed months, not after today (+ days ahead)
- `lifecycle`   loan status transitions, the automatic paid-off transition
- `chart`       default chart, role accounts, `upk_setup`
- `states`      the per-loan current state (PostgreSQL) and its recomputation
- `idempotency` a form's key posts once
- `errors`      `LedgerError`, whole-Rupiah input checks
- `actors`      who posts (`Actor`)
"""
