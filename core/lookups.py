"""`field__any_of=[…]`: membership in a long list as one array parameter (PostgreSQL `= ANY(%s)`).

Django's `__in` turns each element into its own placeholder and resolves each one in Python: at
province scale (1,000 UPK ids, 3,000 warning keys) that cost more than the queries themselves
(~0.1 ms per element). Elsewhere (the embedded SQLite mode) it is the plain `IN (…)`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject, Lookup


@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


# Foreign keys keep their own lookups (ids only here, never model instances).
ForeignObject.register_lookup(AnyOf)
