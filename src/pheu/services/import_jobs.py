"""The import wizard behind the pages: keep an uploaded file until a person has checked how its columns map,
show the first rows as they would land (nothing written), then run the import in a background thread.

An upload waits in a folder of its own, named by a random token, beside an ``upload.json`` saying who sent
it: the token alone never grants access, and nothing about the file travels in the session cookie. The
import itself is ``pheu.capture.imports`` (crash-safe, resumable); once it is done the file is deleted,
because a spreadsheet of personal data should not outlive its use (Law 91/2025).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Final

from sqlalchemy import or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Role
from pheu.capture import imports
from pheu.capture.files import FileNotReadable, Mapping, RawRow, Table, open_table
from pheu.capture.files.mapping import TARGETS, suggest_mapping, to_incoming
from pheu.capture.intake import load_lookups
from pheu.capture.prepare import Lookups, Rejection, prepare
from pheu.db import get_engine, unit_of_work
from pheu.services.errors import Forbidden, Invalid, NotFound
from pheu.store import Import, Lead, User

log = logging.getLogger("pheu.imports")

IMPORTERS: Final = frozenset({Role.ADMIN, Role.MARKETING})
MAX_UPLOAD_BYTES: Final = 200 * 1024 * 1024
EXTENSIONS: Final = (".csv", ".txt", ".tsv", ".xlsx")
PREVIEW_ROWS: Final = 20
SAMPLE_VALUES: Final = 5
PROVENANCE_LIMIT: Final = 500  # the imports.provenance column
KEEP_UNUSED_UPLOADS: Final = timedelta(days=7)
_BLOCK: Final = 1 << 20
_META: Final = "upload.json"
_TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_UNSAFE_NAME: Final = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def can_import(role: Role) -> bool:
    """Importing pours many people's data into the funnel at once: marketing's job, and the admin's."""
    return role in IMPORTERS


def require_importer(principal: Principal) -> None:
    if not can_import(principal.role):
        raise Forbidden("Only administrators and marketing import files.")


def uploads_folder(db_url: str) -> Path:
    """Beside an SQLite database file; under the system temp folder otherwise. Every web process that
    serves the wizard must see the same folder."""
    url = make_url(db_url)
    name = url.database or ""
    if url.get_backend_name() == "sqlite" and name and name != ":memory:" and not name.startswith("file:"):
        return Path(name).resolve().parent / "pheu-uploads"
    return Path(tempfile.gettempdir()) / "pheu-uploads"


@dataclass(frozen=True, slots=True)
class Upload:
    token: str
    folder: Path
    filename: str
    user_id: int
    size: int

    @property
    def path(self) -> Path:
        return self.folder / self.filename


def safe_filename(name: str) -> str:
    """The file's own name without any folder or character a file system or a shell would trip on; its
    extension is kept because the import list shows the name as the person knows it."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    stem, dot, ext = _UNSAFE_NAME.sub("", base).strip().rpartition(".")
    stem, ext = (stem, ext.strip().lower()) if dot else (ext, "")
    kept = (stem.strip().lstrip(".").strip()[:150] or "upload") + (f".{ext}" if ext else "")
    return "file.json" if kept == _META else kept


def save_upload(
    principal: Principal,
    source: BinaryIO,
    filename: str,
    root: Path,
    now: datetime,
    *,
    limit: int = MAX_UPLOAD_BYTES,
) -> Upload:
    """Copy an uploaded file into a new token folder in 1 MiB blocks, so memory stays flat whatever its size.

    Raises ``Invalid`` with code ``upload_type`` (not .csv/.txt/.tsv/.xlsx), ``upload_too_large``,
    ``upload_empty`` or ``upload_unreadable`` (the message then says what the reader found); nothing is
    kept in those cases. Uploads left unused for a week are deleted on the way.
    """
    require_importer(principal)
    name = safe_filename(filename)
    if Path(name).suffix not in EXTENSIONS:
        raise Invalid(f"'{filename}' is not a CSV or .xlsx file.", code="upload_type", field="file")
    prune_uploads(root, now)
    token = secrets.token_urlsafe(24)
    folder = root / token
    folder.mkdir(mode=0o700, parents=True)
    try:
        size = _copy(source, folder / name, limit)
        if size == 0:
            raise Invalid("The file is empty.", code="upload_empty", field="file")
        table = open_table(folder / name)
        if not table.headers:
            raise Invalid("The file has no header row.", code="upload_empty", field="file")
    except FileNotReadable as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise Invalid(str(exc), code="upload_unreadable", field="file") from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    upload = Upload(token, folder, name, principal.user_id, size)
    _write_meta(upload)
    return upload


def _copy(source: BinaryIO, target: Path, limit: int) -> int:
    size = 0
    with target.open("xb") as out:
        while block := source.read(_BLOCK):
            size += len(block)
            if size > limit:
                raise Invalid(f"The file is over {limit:,} bytes.", code="upload_too_large", field="file")
            out.write(block)
    return size


def _write_meta(upload: Upload) -> None:
    meta = {"user_id": upload.user_id, "filename": upload.filename, "size": upload.size}
    (upload.folder / _META).write_text(json.dumps(meta), "utf-8")


def find_upload(principal: Principal, root: Path, token: str) -> Upload:
    """The upload behind ``token``, only for the person who sent it; anyone else gets ``NotFound``."""
    require_importer(principal)
    meta_path = root / token / _META
    if not _TOKEN.match(token) or not meta_path.is_file():
        raise NotFound("This upload is gone; upload the file again.")
    meta = json.loads(meta_path.read_text("utf-8"))
    name = str(meta.get("filename", ""))
    if meta.get("user_id") != principal.user_id or name != safe_filename(name):
        raise NotFound("This upload is gone; upload the file again.")
    return Upload(token, root / token, name, int(meta["user_id"]), int(meta.get("size", 0)))


def discard_upload(upload: Upload) -> None:
    shutil.rmtree(upload.folder, ignore_errors=True)


def prune_uploads(root: Path, now: datetime) -> None:
    """Delete upload folders untouched for a week: abandoned wizards, or imports that failed long ago."""
    if not root.is_dir():
        return
    cutoff = (now - KEEP_UNUSED_UPLOADS).timestamp()
    for folder in root.iterdir():
        meta = folder / _META
        if folder.is_dir() and _TOKEN.match(folder.name) and meta.is_file() and meta.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


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
        reason = {"field": "row", "code": "unreadable", "message": row.error,
                  "accepted": "a row with one value per column"}  # fmt: skip
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


def start(url: str, principal: Principal, upload: Upload, choices: Choices, now: datetime) -> int:
    """Register the import (or pick up the unfinished one of the same file) and run it in the background.

    Raises ``ChoicesInvalid`` as ``check`` does. Returns the import's id at once; the page polls its row.
    """
    require_importer(principal)
    with Session(get_engine(url)) as session:
        channels = load_lookups(session).channels
    check(choices, open_table(upload.path).headers, channels)
    options = imports.ImportOptions(
        channel=choices.channel, bought_list=choices.bought_list, provenance=choices.provenance,
        overrides=choices.targets, created_by=principal.user_id, actor_label=principal.label,
    )  # fmt: skip
    import_id = imports.start(url, upload.path, options, now)
    _claim(url, import_id, choices.family_name_first)
    if not launch(url, import_id, upload):  # already running here: this second copy is not needed
        discard_upload(upload)
    return import_id


def _claim(url: str, import_id: int, family_name_first: bool) -> None:
    """Mark the import running (a failed one is being resumed), and apply the person's name order while no
    row has landed yet: ``ImportOptions`` has no field for it."""
    with unit_of_work(url) as session:
        row = _get(session, import_id)
        row.status, row.error = "running", None
        if row.last_line == 0:
            row.mapping = {**row.mapping, "family_name_first": family_name_first}


_threads: dict[int, threading.Thread] = {}
_threads_lock = threading.Lock()


def launch(url: str, import_id: int, upload: Upload) -> bool:
    """Run the import in a daemon thread; False when this process already runs it. A process that dies
    mid-way loses at most the chunk in flight: the import row keeps its resume point."""
    with _threads_lock:
        current = _threads.get(import_id)
        if current is not None and current.is_alive():
            return False
        thread = threading.Thread(
            target=_work, args=(url, import_id, upload), name=f"pheu-import-{import_id}", daemon=True
        )
        _threads[import_id] = thread
        thread.start()
    return True


def _work(url: str, import_id: int, upload: Upload) -> None:
    try:
        imports.run(url, import_id, upload.path)
    except Exception:  # run() has kept the reason on the import row for the page to show
        log.exception("import #%s failed", import_id)
    finally:  # a failed import resumes when the same file is uploaded again; this copy is not needed
        discard_upload(upload)


def wait(import_id: int, timeout: float | None = None) -> bool:
    """Wait for this process's run of an import; True when none is running any more."""
    thread = _threads.get(import_id)
    if thread is not None:
        thread.join(timeout)
    return thread is None or not thread.is_alive()


@dataclass(frozen=True, slots=True)
class ImportRow:
    record: Import
    by: str | None


def list_imports(session: Session, principal: Principal, *, limit: int = 200) -> list[ImportRow]:
    """The newest imports first, with who started each."""
    require_importer(principal)
    stmt = select(Import, User.name).outerjoin(User, Import.created_by == User.id)
    rows = session.execute(stmt.order_by(Import.id.desc()).limit(limit))
    return [ImportRow(record, name) for record, name in rows]


def get_import(session: Session, principal: Principal, import_id: int) -> ImportRow:
    require_importer(principal)
    found = session.execute(
        select(Import, User.name).outerjoin(User, Import.created_by == User.id).where(Import.id == import_id)
    ).first()
    if found is None:
        raise NotFound(f"No import with id {import_id}.")
    return ImportRow(found[0], found[1])


def rejected_file(url: str, principal: Principal, import_id: int) -> Path:
    """The import's rejected rows as a CSV in a temporary file (the caller streams, then deletes it); every
    cell is safe to open in a spreadsheet (``imports.safe_cell``)."""
    with unit_of_work(url) as session:
        get_import(session, principal, import_id)
    descriptor, name = tempfile.mkstemp(prefix=f"pheu-rejected-{import_id}-", suffix=".csv")
    os.close(descriptor)
    target = Path(name)
    try:
        imports.write_rejected(url, import_id, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _get(session: Session, import_id: int) -> Import:
    row = session.get(Import, import_id)
    if row is None:
        raise NotFound(f"No import with id {import_id}.")
    return row
