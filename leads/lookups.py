"""`field__in_array=subquery`: `IN (SELECT ...)` written so that PostgreSQL can use an index.

Inside an OR, PostgreSQL runs `owner_id IN (SELECT ...)` as a filter on every row, so the whole
OR falls back to reading the table; `owner_id = ANY(ARRAY(SELECT ...))` computes the ids once
(an InitPlan) and is an index condition, so each branch of the OR stays an index scan. Other
databases get the plain `IN (SELECT ...)`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import ForeignKey, Lookup


@ForeignKey.register_lookup
class InArray(Lookup):
    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        template = "%s = ANY(ARRAY%s)" if connection.vendor == "postgresql" else "%s IN %s"
        return template % (lhs, rhs), [*lhs_params, *rhs_params]
