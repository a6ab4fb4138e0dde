"""Uploaded files waiting for the import wizard: where they are kept, who may reach them, and when they go.

An upload waits in a folder of its own, named by a random token, beside an ``upload.json`` saying who sent
it: the token alone never grants access, and nothing about the file travels in the session cookie. Once its
import is done the file is deleted, because a spreadsheet of personal data should not outlive its use
(Law 91/2025); folders a wizard abandoned are pruned after a week.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Final

from sqlalchemy.engine import make_url

from pheu.auth.roles import Principal, Role
from pheu.capture.files import FileNotReadable, open_table
from pheu.services.errors import Forbidden, Invalid, NotFound

IMPORTERS: Final = frozenset({Role.ADMIN, Role.MARKETING})
MAX_UPLOAD_BYTES: Final = 200 * 1024 * 1024
EXTENSIONS: Final = (".csv", ".txt", ".tsv", ".xlsx")
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
