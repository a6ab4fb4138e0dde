"""Running the import wizard's imports in the background, and listing them for the pages.

Once a person has checked how an upload's columns map (``pheu.services.import_preview``), ``start``
registers the import and runs it in a background thread of this process. The import itself is
``pheu.capture.imports`` (crash-safe, resumable); once it is done the uploaded file is deleted
(``pheu.services.uploads``), because a spreadsheet of personal data should not outlive its use (Law 91/2025).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal
from pheu.capture import imports
from pheu.capture.files import open_table
from pheu.capture.intake import load_lookups
from pheu.db import get_engine, unit_of_work
from pheu.services.errors import NotFound
from pheu.services.import_preview import Choices, check
from pheu.services.uploads import Upload, discard_upload, require_importer
from pheu.store import Import, User

log = logging.getLogger("pheu.imports")


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
