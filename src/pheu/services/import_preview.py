"""The import wizard's look before it leaps: how an uploaded file reads, what the person chose for its
columns, and the first rows cleaned exactly as the import would clean them. Nothing here writes: a preview
runs in a session that is closed without a commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from itertools import islice
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.capture import imports
from pheu.capture.files import Mapping, RawRow, Table, open_table
from pheu.capture.files.mapping import TARGETS, suggest_mapping, to_incoming
from pheu.capture.intake import load_lookups
from pheu.capture.prepare import UNREADABLE_ACCEPTED, Lookups, Rejection, prepare
from pheu.db import get_engine
from pheu.services.errors import Invalid
from pheu.services.uploads import Upload, require_importer
from pheu.store import Lead

PREVIEW_ROWS: Final = 20
SAMPLE_VALUES: Final = 5
PROVENANCE_LIMIT: Final = 500  # the imports.provenance column


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    header: str
    suggested: str | None
    samples: list[str]


@dataclass(frozen=True, slots=True)
class FileView:
    """What the mapping step shows: how the file was read and, per column, the guess and a few values."""

    upload: Upload
    format: str
    encoding: str | None
    delimiter: str | None
    detected_source: str
    family_name_first: bool
    columns: list[Column]


def describe(upload: Upload) -> FileView:
    table = open_table(upload.path)
    mapping = suggest_mapping(table.headers)
    rows = _head(table, SAMPLE_VALUES)
    columns = [
        Column(i, h, mapping.columns.get(h), [r.values.get(h, "") for r in rows if not r.error])
        for i, h in enumerate(table.headers)
    ]
    return FileView(upload, table.format, table.encoding, table.delimiter, mapping.detected_source,
                    mapping.family_name_first, columns)  # fmt: skip


def _head(table: Table, count: int) -> list[RawRow]:
    rows = table.rows()
    try:
        return list(islice(rows, count))
    finally:
        close = getattr(rows, "close", None)
        if close is not None:  # an .xlsx reader holds the workbook open until closed
            close()


@dataclass(frozen=True, slots=True)
class Choices:
    """What the person decided on the mapping step. ``targets`` maps every header to a target, or None to
    ignore the column."""

    targets: dict[str, str | None]
    channel: str | None = None
    bought_list: bool = False
    provenance: str = ""
    family_name_first: bool = False

    @classmethod
    def suggested(cls, view: FileView) -> Choices:
        return cls({c.header: c.suggested for c in view.columns}, family_name_first=view.family_name_first)

    @property
    def default_channel(self) -> str | None:
        return "import" if self.bought_list else self.channel  # as imports.start decides


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    code: str


class ChoicesInvalid(Invalid):
    """The mapping step's choices cannot run; ``problems`` names each field and what is wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.code}" for p in problems), field=problems[0].field)
        self.problems = problems


def check(choices: Choices, headers: Iterable[str], channels: Iterable[str]) -> None:
    """Raise ``ChoicesInvalid`` unless the choices can run: a bought list names its source (Law 91/2025),
    targets and channel exist, and some column gives an email or a phone (else every row is rejected)."""
    problems: list[Problem] = []
    if choices.bought_list and not choices.provenance.strip():
        problems.append(Problem("provenance", "required"))
    if len(choices.provenance.strip()) > PROVENANCE_LIMIT:
        problems.append(Problem("provenance", "too_long"))
    if choices.channel and choices.channel not in set(channels):
        problems.append(Problem("channel", "unknown"))
    if set(choices.targets) - set(headers) or set(choices.targets.values()) - TARGETS - {None}:
        problems.append(Problem("mapping", "unknown"))
    elif not {"email", "phone"} & set(choices.targets.values()):
        problems.append(Problem("mapping", "no_contact"))
    if problems:
        raise ChoicesInvalid(problems)


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """One row as it would land. ``status``: new, merge (into a lead already here, or into the row
    ``merges_with`` above) or rejected. ``reasons``: why it is rejected, or what was left out of it."""

    line: int
    status: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    flags: list[str] = field(default_factory=list)
    reasons: list[dict[str, str]] = field(default_factory=list)
    merges_with: int | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    rows: list[PreviewRow]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


def preview(
    url: str, principal: Principal, upload: Upload, choices: Choices, *, limit: int = PREVIEW_ROWS
) -> Preview:
    """The first ``limit`` rows cleaned exactly as the import will clean them. Reads only: the session is
    closed without a commit, so nothing is written whatever happens."""
    require_importer(principal)
    table = open_table(upload.path)
    with Session(get_engine(url)) as session:
        lookups = load_lookups(session)
        check(choices, table.headers, lookups.channels)
        mapping = imports.plan_mapping(table, choices.targets).with_family_name_first(
            choices.family_name_first
        )
        rows = [_preview_row(row, mapping, lookups, choices) for row in _head(table, limit)]
        known = _known_keys(session, {k for _, keys in rows for k in keys})
    seen: dict[str, int] = {}
    shown: list[PreviewRow] = []
    for row, keys in rows:
        earlier = next((seen[k] for k in sorted(keys) if k in seen), None)
        if keys & known or earlier is not None:
            row = replace(row, status="merge", merges_with=None if keys & known else earlier)
        seen.update({k: row.line for k in keys if k not in seen})
        shown.append(row)
    return Preview(shown)


def _preview_row(
    row: RawRow, mapping: Mapping, lookups: Lookups, choices: Choices
) -> tuple[PreviewRow, set[str]]:
    if row.error:
        reason = {"field": "row", "code": "unreadable", "message": row.error, "accepted": UNREADABLE_ACCEPTED}
        return PreviewRow(row.line, "rejected", reasons=[reason]), set()
    incoming = to_incoming(row, mapping, "import:preview")
    result = prepare(
        incoming, lookups, default_channel=choices.default_channel, bought_list=choices.bought_list
    )
    if isinstance(result, Rejection):
        name = incoming.fields.get("full_name")
        return PreviewRow(row.line, "rejected", name=name, email=incoming.fields.get("email"),
                          phone=incoming.fields.get("phone"), reasons=result.reasons), set()  # fmt: skip
    values = result.values
    problems = [asdict(p) for p in result.problems]
    return PreviewRow(row.line, "new", values.get("full_name"), values.get("email"), values.get("phone"),
                      list(result.flags), problems), set(result.keys)  # fmt: skip


def _known_keys(session: Session, keys: set[str]) -> set[str]:
    emails = {k[6:] for k in keys if k.startswith("email:")}
    phones = {k[6:] for k in keys if k.startswith("phone:")}
    if not keys:
        return set()
    found = list(
        session.execute(
            select(Lead.email, Lead.phone).where(or_(Lead.email.in_(emails), Lead.phone.in_(phones)))
        )
    )
    return {f"email:{e}" for e, _ in found if e in emails} | {f"phone:{p}" for _, p in found if p in phones}
