"""Reading leads for set-wise scoring on PostgreSQL without a Python object per lead.

Two queries, each a single scan of one table:

- the stored scores (id, score and parts, temperature, model) from the narrow ``lead_scores``, packed by the
  database into one binary string per range of ids (``int8send(lead_id) || …``), which numpy reads as a
  record array;
- from ``leads``, the stage, the kind and the fit-rule columns grouped by their combination of values, each
  group carrying its lead ids packed the same way, so a column is coded per distinct value, not per lead.
  A text column that every rule reads only as present or missing is sent as a stand-in ('x' when it holds
  an ASCII letter or digit — certainly not blank), which keeps the number of combinations small.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from pheu.lifecycle import Stage
from pheu.score.bulk import Ints
from pheu.services.scoring_facts import Needs

ID_RANGE: Final = 2_000_000
SUBSET: Final = 10_000
STAGES: Final = tuple(s.value for s in Stage)
TEMPERATURES: Final = ("cold", "warm", "hot")
_PACKED: Final = np.dtype(
    [
        ("id", ">i8"), ("score", ">i4"), ("fit", ">f8"), ("behaviour", ">f8"), ("temperature", ">i2"),
        ("model", ">i4"),
    ]
)  # fmt: skip
_IDS: Final = np.dtype(">i8")


def _case(column: str, values: Sequence[str]) -> str:
    arms = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values))
    return f"CAST(CASE {column} {arms} ELSE -1 END AS int2)"


# Only our own constants are formatted into this SQL.
_NUMBERS: Final = (
    "SELECT string_agg(int8send(lead_id) || int4send(score) "  # noqa: S608
    "|| float8send(COALESCE(CAST(score_fit AS float8), CAST('NaN' AS float8))) "
    "|| float8send(COALESCE(CAST(score_behaviour AS float8), CAST('NaN' AS float8))) "
    f"|| int2send({_case('temperature', TEMPERATURES)}) || int4send(COALESCE(score_model_id, -1)), "
    "CAST('' AS bytea)) FROM lead_scores WHERE {where}"
)
# Before the fit columns, every group carries the stage (coded as in ``STAGES``, -1 for an unknown one)
# and whether the leads are sales leads.
STAGE_AND_KIND: Final = (_case("stage", STAGES), "kind = 'sales'")


def field_sql(name: str, presence_only: frozenset[str]) -> str:
    """The SQL for one fit column; names come from the model's known fields, never from input."""
    if name in ("flags", "interests"):
        return f"CAST({name} AS TEXT)"
    if name == "email_domain":
        return "CASE WHEN strpos(email, '@') > 0 THEN reverse(split_part(reverse(email), '@', 1)) END"
    if name == "channel":
        return "channel_id"
    if name == "consents":
        return "id"
    if name in presence_only:
        return f"CASE WHEN {name} ~ '[0-9A-Za-z]' THEN 'x' ELSE {name} END"
    return name


def _ranges(
    cursor: Any, subset: Sequence[int] | None, table: str, key: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    if subset is not None:
        for i in range(0, len(subset), SUBSET):
            yield f"{key} = ANY(%(ids)s)", {"ids": list(subset[i : i + SUBSET])}
        return
    low, high = cursor.execute(f"SELECT min({key}), max({key}) FROM {table}").fetchone()  # noqa: S608
    for lo in range(int(low or 0), int(high or -1) + 1, ID_RANGE):
        yield f"{key} >= %(lo)s AND {key} < %(hi)s", {"lo": lo, "hi": lo + ID_RANGE}


def tune_for_scans(driver: Any) -> None:
    """For this transaction: aggregate in memory by hashing (sorting a million rows by their text columns
    is what costs), and skip JIT compilation, which these one-pass queries never earn back."""
    with driver.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL jit = off")


def numbers(driver: Any, subset: Sequence[int] | None) -> NDArray[Any]:
    """Per lead, sorted by id: the record array of ``_PACKED``."""
    parts = []
    with driver.cursor(binary=True) as cursor:
        for where, params in list(_ranges(cursor, subset, "lead_scores", "lead_id")):
            packed = cursor.execute(_NUMBERS.format(where=where), params).fetchone()[0]
            if packed:
                parts.append(np.frombuffer(packed, _PACKED))
    rows = np.concatenate(parts) if parts else np.zeros(0, _PACKED)
    return rows[np.argsort(rows["id"], kind="stable")]


def fit_groups(
    driver: Any, wanted: Needs, subset: Sequence[int] | None
) -> tuple[list[tuple[Any, ...]], Ints, Ints]:
    """The distinct combinations of stage, kind and the fit columns (``STAGE_AND_KIND`` first), then the lead
    ids holding each (concatenated) and how many there are per combination."""
    exprs = [*STAGE_AND_KIND, *(field_sql(f, wanted.presence_only) for f in wanted.fields)]
    keys = ", ".join(str(i + 1) for i in range(len(exprs)))
    sql = (
        f"SELECT {', '.join(exprs)}, string_agg(int8send(id), CAST('' AS bytea)) "  # noqa: S608 - known fields
        "FROM leads WHERE {where} GROUP BY " + keys
    )
    combos: list[tuple[Any, ...]] = []
    packed: list[bytes] = []
    with driver.cursor(binary=True) as cursor:
        for where, params in list(_ranges(cursor, subset, "leads", "id")):
            for *values, members in cursor.execute(sql.format(where=where), params):
                combos.append(tuple(values))
                packed.append(members)
    sizes = np.fromiter((len(p) // 8 for p in packed), np.int64, len(packed))
    members = np.frombuffer(b"".join(packed), _IDS).astype(np.int64)
    return combos, members, sizes
