"""The leads of a replayed history as columns, and the stage conditions on the lead alone decided once per
distinct combination of what they read rather than once per lead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from pheu.lifecycle import LeadKind
from pheu.score.bulk import Bools, Ints, LeadTable
from pheu.score.facts import FieldValue, LeadFacts
from pheu.score.model import KNOWN_FIELDS, Condition
from pheu.score.stages import lead_condition

# What the stage conditions on the lead alone read (``stages.lead_condition``): whether the email and the
# phone are known, the cleaning flags, the purposes consented to.
CONDITION_FIELDS: Final = ("email", "phone", "flags", "consents")


@dataclass(frozen=True, slots=True)
class PastLeads:
    """The history's leads: whether each is a sales lead (the others are left out), and as columns the fields
    the models read — their fit rules' fields and ``CONDITION_FIELDS`` — as ``LeadFacts.value`` gives them
    ("flags" and "consents" as sorted tuples, "consents" only the purposes granted). A field with no column
    is missing for every lead. A text read only as present or missing may hold a stand-in for its value."""

    sales: Bools
    table: LeadTable

    @classmethod
    def from_facts(cls, leads: Sequence[LeadFacts]) -> PastLeads:
        """Every field a model may read, from the leads' facts."""
        sales = np.fromiter((lead.kind is LeadKind.SALES for lead in leads), np.bool_, len(leads))
        return cls(sales, LeadTable.from_facts(leads, sorted(KNOWN_FIELDS)))

    @property
    def size(self) -> int:
        return len(self.sales)


class LeadConditions:
    """Stage conditions on the lead alone, each decided once per distinct combination of the
    ``CONDITION_FIELDS`` values among the leads (a few hundred at most, unless the full email or phone is
    there because a fit rule reads it), through ``stages.lead_condition`` itself."""

    def __init__(self, table: LeadTable) -> None:
        self._table = table
        self._combo: Ints | None = None
        self._facts: list[LeadFacts] = []

    def holds(self, cond: Condition) -> Bools:
        """Per lead, whether ``cond`` holds."""
        if self._combo is None:
            self._combo, self._facts = _combinations(self._table)
        by_combo = np.fromiter(
            (bool(lead_condition(cond, f)) for f in self._facts), np.bool_, len(self._facts)
        )
        return by_combo[self._combo]


def _combinations(table: LeadTable) -> tuple[Ints, list[LeadFacts]]:
    """Each lead's combination of condition values (0, 1, …) and, per combination, the facts of its first
    lead, reduced to what the conditions read."""
    names = [n for n in CONDITION_FIELDS if n in table.columns]
    combo = np.zeros(table.size, np.int64)
    for name in names:
        codes = table.columns[name].codes.astype(np.int64)
        width = int(codes.max()) + 1 if len(codes) else 1
        combo = np.unique(combo * width + codes, return_inverse=True)[1].reshape(-1)
    first = np.unique(combo, return_index=True)[1] if len(combo) else np.zeros(0, np.int64)
    values = {n: table.columns[n] for n in names}
    facts = []
    for i in first.tolist():
        row = {n: column.values[column.codes[i]] for n, column in values.items()}
        facts.append(
            LeadFacts(
                fields={n: row[n] for n in ("email", "phone") if n in row},
                flags=frozenset(_texts(row.get("flags"))),
                consents=dict.fromkeys(_texts(row.get("consents")), True),
            )
        )
    return combo, facts


def _texts(value: FieldValue) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else ()
