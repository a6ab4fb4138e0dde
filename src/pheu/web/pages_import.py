"""The CSV/Excel import wizard: upload a file, check how its columns map, preview the first rows as they would
land, then watch the import run. Admin and marketing only (the service refuses everyone else).

Each step posts the person's choices to the next, so nothing but the uploaded file is kept between steps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import FileResponse, RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.i18n import N_
from pheu.services import import_jobs, import_preview, uploads
from pheu.services.errors import Invalid
from pheu.services.import_preview import Choices, ChoicesInvalid, FileView
from pheu.web import labels, queries
from pheu.web.auth import CurrentViewer
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.pages_duplicates import FIELD_LABELS
from pheu.web.templating import render, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)

MULTIPART_SLACK: Final = 1024 * 1024  # the form's other fields and boundaries around the file
TARGET_LABELS: Final[dict[str, str]] = {
    **FIELD_LABELS,
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "external_id": N_("ID in the other tool"),
    "occurred_at": N_("Created at"),
    "answer": N_("Keep as extra information"),
    "row": N_("Row"),
}
TARGET_GROUPS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (N_("Contact"), ("full_name", "given_name", "family_name", "email", "phone")),
    (N_("Company"), ("company", "job_title", "industry", "company_size")),
    (N_("Place"), ("country", "province", "city")),
    (N_("Profile"), ("age_range", "gender", "income_range", "marital_status", "interests")),
    (N_("Origin"), ("channel", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                    "landing_page", "referrer", "lead_magnet", "kind")),
    (N_("Other"), ("notes", "external_id", "occurred_at", "answer")),
)  # fmt: skip
SOURCES: Final[dict[str, str]] = {
    "hubspot": N_("HubSpot export"),
    "salesforce": N_("Salesforce export"),
    "facebook": N_("Facebook Lead Ads export"),
    "vietnamese": N_("Vietnamese spreadsheet"),
    "generic": N_("Spreadsheet"),
}
ENCODINGS: Final[dict[str, str]] = {
    "utf-8": "UTF-8",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "cp1258": "Windows-1258",
    "cp1252": "Windows-1252",
}
DELIMITERS: Final[dict[str, str]] = {",": N_("Comma"), ";": N_("Semicolon"), "\t": N_("Tab"), "|": N_("Pipe")}
STATUSES: Final[dict[str, str]] = {"running": N_("Running"), "done": N_("Done"), "failed": N_("Failed")}
ROW_STATUSES: Final[dict[str, str]] = {
    "new": N_("New lead"),
    "merge": N_("Merges"),
    "rejected": N_("Rejected"),
}
FLAGS: Final[dict[str, str]] = {
    "name_missing": N_("No name"),
    "email_invalid": N_("Email not valid"),
    "email_fake": N_("Fake email"),
    "email_typo": N_("Email typo"),
    "email_disposable": N_("Disposable email"),
    "email_role": N_("Shared mailbox"),
    "phone_invalid": N_("Phone not valid"),
    "phone_fake": N_("Fake phone"),
    "phone_renumbered": N_("Old phone prefix"),
    "no_contact": N_("No contact"),
    "bought_list": N_("Bought list"),
    "channel_unknown": N_("Unknown channel"),
}
PROBLEMS: Final[dict[str, str]] = {
    "provenance:required": N_(
        "A bought or third-party list must say where its data came from (Law 91/2025)."
    ),
    "provenance:too_long": N_("Describe the source in at most 500 characters."),
    "channel:unknown": N_("Choose one of the channels."),
    "mapping:unknown": N_(
        "The mapping names a column or a field that does not exist. Map the columns again."
    ),
    "mapping:no_contact": N_("Map at least one column to Email or Phone: a row without either is rejected."),
}
UPLOAD_ERRORS: Final[dict[str, str]] = {
    "missing": N_("Choose a file to upload."),
    "upload_type": N_("Upload a .csv, .txt, .tsv or .xlsx file."),
    "upload_too_large": N_("The file is larger than 200 MB. Split it into smaller files."),
    "upload_empty": N_("The file is empty or has no header row."),
    "upload_unreadable": N_("This file cannot be read as a table."),
}


async def _form_data(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_form_data)]


def _text(data: FormData, key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def choices_from(data: FormData, view: FileView) -> Choices:
    """The mapping step's choices as posted: ``target_<n>`` per column (empty ignores it), ``channel``,
    ``bought_list``, ``provenance`` and ``family_name_first``."""
    return Choices(
        targets={c.header: _text(data, f"target_{c.index}") or None for c in view.columns},
        channel=_text(data, "channel") or None,
        bought_list=bool(_text(data, "bought_list")),
        provenance=_text(data, "provenance"),
        family_name_first=bool(_text(data, "family_name_first")),
    )


def _root(request: Request) -> Path:
    return uploads.uploads_folder(request.app.state.db_url)


def _labels() -> dict[str, Any]:
    return {"TARGET_LABELS": TARGET_LABELS, "TARGET_GROUPS": TARGET_GROUPS, "SOURCES": SOURCES,
            "ENCODINGS": ENCODINGS, "DELIMITERS": DELIMITERS, "STATUSES": STATUSES,
            "ROW_STATUSES": ROW_STATUSES, "FLAGS": FLAGS, "CHANNEL_LABELS": labels.CHANNELS,
            "section": "imports"}  # fmt: skip


@router.get("/imports")
def import_list(request: Request, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        items = import_jobs.list_imports(session, viewer.principal)
        return render(request, "imports/list.html", {**_labels(), "items": items})


@router.get("/imports/new")
def new_import(request: Request, viewer: CurrentViewer) -> Response:
    uploads.require_importer(viewer.principal)
    return render(request, "imports/new.html", _labels())


@router.post("/imports/upload")
async def upload(request: Request, viewer: CurrentViewer) -> Response:
    """Step 1. The body is spooled to disk by the form parser and copied in blocks: never whole in memory."""
    uploads.require_importer(viewer.principal)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > uploads.MAX_UPLOAD_BYTES + MULTIPART_SLACK:
        return _upload_refused(request, "upload_too_large", status=413)
    file = (await request.form()).get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_refused(request, "missing")
    try:
        saved = await run_in_threadpool(
            uploads.save_upload, viewer.principal, file.file, file.filename, _root(request), _now()
        )
    except Invalid as exc:
        detail = exc.message if exc.code == "upload_unreadable" else None
        return _upload_refused(
            request, exc.code, detail=detail, status=413 if exc.code == "upload_too_large" else 422
        )
    return RedirectResponse(f"/imports/new/{saved.token}", status_code=303)


def _upload_refused(request: Request, code: str, *, detail: str | None = None, status: int = 422) -> Response:
    error = tr(request, UPLOAD_ERRORS.get(code, UPLOAD_ERRORS["upload_unreadable"]))
    context = {**_labels(), "error": error, "detail": detail}
    return render(request, "imports/new.html", context, status_code=status)


@router.get("/imports/new/{token}")
def mapping(request: Request, token: str, viewer: CurrentViewer) -> Response:
    """Step 2, as the file suggests it."""
    view = import_preview.describe(uploads.find_upload(viewer.principal, _root(request), token))
    return _mapping(request, view, Choices.suggested(view))


@router.post("/imports/new/{token}")
def mapping_again(request: Request, token: str, viewer: CurrentViewer, data: Posted) -> Response:
    """Step 2 again, back from the preview with the person's choices kept."""
    view = import_preview.describe(uploads.find_upload(viewer.principal, _root(request), token))
    return _mapping(request, view, choices_from(data, view))


@router.post("/imports/new/{token}/preview")
def preview(request: Request, token: str, viewer: CurrentViewer, data: Posted) -> Response:
    """Step 3: the first rows cleaned as they would land; nothing is written."""
    view = import_preview.describe(uploads.find_upload(viewer.principal, _root(request), token))
    choices = choices_from(data, view)
    try:
        result = import_preview.preview(request.app.state.db_url, viewer.principal, view.upload, choices)
    except ChoicesInvalid as exc:
        return _mapping(request, view, choices, exc.problems)
    context = {**_labels(), "view": view, "choices": choices, "preview": result}
    return render(request, "imports/preview.html", context)


@router.post("/imports/new/{token}/run")
def run(request: Request, token: str, viewer: CurrentViewer, data: Posted) -> Response:
    """Step 4: start the import in the background and go to its progress page."""
    upload = uploads.find_upload(viewer.principal, _root(request), token)
    view = import_preview.describe(upload)
    choices = choices_from(data, view)
    try:
        import_id = import_jobs.start(request.app.state.db_url, viewer.principal, upload, choices, _now())
    except ChoicesInvalid as exc:
        return _mapping(request, view, choices, exc.problems)
    except Invalid as exc:  # the import refused what the checks let through
        code = "required" if exc.field == "provenance" else "unknown"
        return _mapping(request, view, choices, [import_preview.Problem(exc.field or "mapping", code)])
    return RedirectResponse(f"/imports/{import_id}", status_code=303)


def _mapping(
    request: Request, view: FileView, choices: Choices, problems: list[import_preview.Problem] | None = None
) -> Response:
    errors = {p.field: tr(request, PROBLEMS.get(f"{p.field}:{p.code}", PROBLEMS["mapping:unknown"]))
              for p in problems or []}  # fmt: skip
    with unit_of_work(request.app.state.db_url) as session:
        context = {**_labels(), "view": view, "choices": choices, "errors": errors,
                   "channels": queries.channels(session)}  # fmt: skip
        return render(request, "imports/map.html", context, status_code=422 if errors else 200)


@router.get("/imports/{import_id:int}")
def progress_page(request: Request, import_id: int, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        item = import_jobs.get_import(session, viewer.principal, import_id)
        return render(request, "imports/progress.html", {**_labels(), "item": item})


@router.get("/imports/{import_id:int}/progress")
def progress(request: Request, import_id: int, viewer: CurrentViewer) -> Response:
    """The counts HTMX polls every second while the import runs; the answer once it ends stops the polling."""
    with unit_of_work(request.app.state.db_url) as session:
        item = import_jobs.get_import(session, viewer.principal, import_id)
        return render(request, "imports/_progress.html", {**_labels(), "item": item})


@router.get("/imports/{import_id:int}/rejected.csv")
def rejected_csv(request: Request, import_id: int, viewer: CurrentViewer) -> Response:
    """The import's rejected rows with their reasons, streamed from a temporary file deleted afterwards."""
    path = import_jobs.rejected_file(request.app.state.db_url, viewer.principal, import_id)
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=f"import-{import_id}-rejected.csv",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


def _now() -> datetime:
    return datetime.now(UTC)
