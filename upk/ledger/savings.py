"""The savings balance rule, once: what each savings transaction does to a
KSM's balance. A deposit adds; a withdrawal takes; an arrears cover takes
unless its repayment was reversed (then the money went back to savings).
Every balance — the service's check, the KSM list, the running balance of a
KSM's savings page — sums `signed_amount()`."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, DecimalField, F, Q, Value, When
from django.db.models.expressions import Combinable

from ..models import SavingsKind

_MONEY: DecimalField = DecimalField(max_digits=15, decimal_places=0)


def signed_amount(prefix: str = "") -> Case:
    """The transaction's effect on its KSM's savings balance, as a database
    expression (`prefix` reaches the transaction through a relation)."""
    amount: Combinable = F(f"{prefix}amount")
    return Case(
        When(Q(**{f"{prefix}kind": SavingsKind.DEPOSIT}), then=amount),
        When(
            Q(**{f"{prefix}kind": SavingsKind.ARREARS_COVER, f"{prefix}repayment__is_reversed": True}),
            then=Value(Decimal(0)),
        ),
        default=-amount,
        output_field=_MONEY,
    )
