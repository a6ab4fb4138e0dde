"""Scoring model pages: the versions and the active model, YAML download and upload, the editor that saves a
copy as a new version, the backtest of a version against the active one, and switching to it.

Everyone may read the models (they explain every score). Changing them is for admins and marketers
(``scoring.can_change_models``): the services refuse anyone else, which the pages show as a 403, and the
pages hide the buttons. The routes only parse forms and call the services; nothing here scores a lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.i18n import N_
from pheu.score import ScoringModel, texts, to_yaml
from pheu.score.model import Condition
from pheu.score.model_yaml import to_dict
from pheu.services import scoring, scoring_backtest, scoring_bulk
from pheu.services.errors import Conflict
from pheu.services.scoring import InvalidModel
from pheu.store import ScoringModelVersion, User
from pheu.web.auth import CurrentViewer, Viewer, request_locale
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.pages_scoring_form import apply_form, place_problems, with_version
from pheu.web.templating import flash, is_htmx, render, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)
MAX_UPLOAD: Final = 1_000_000  # a model is a few kilobytes; a megabyte is surely not one


def _now() -> datetime:
    return datetime.now(UTC)


OPS: Final = {
    "equals": N_("is"),
    "one_of": N_("is one of"),
    "range": N_("is between"),
    "pattern": N_("matches"),
    "missing": N_("is empty"),
    "present": N_("is given"),
}


def condition_text(cond: Condition, locale: str) -> str:
    """A stage condition as a sentence in the reader's language."""
    if cond.kind == "min_fit":
        value = texts.number(cond.value or 0, locale)
        return f"điểm phù hợp ≥ {value}" if locale == "vi" else f"fit ≥ {value}"
    return texts.met(cond, 0, locale)


def _shared(viewer: Viewer, context: dict[str, Any]) -> dict[str, Any]:
    return {
        **context,
        "section": "scoring",
        "can_edit": scoring.can_change_models(viewer.principal),
        "OPS": OPS,
        "condition_text": condition_text,
    }


def _list_context(session: Session, viewer: Viewer) -> dict[str, Any]:
    rows = scoring.list_models(session)
    active = scoring.active_model(session)
    ids = {r.created_by for r in rows if r.created_by is not None}
    authors = {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(ids)))}
    return _shared(
        viewer,
        {
            "rows": rows,
            "active": active,
            "model": active.model,
            "authors": authors,
            "shown_id": active.row_id,
        },
    )


@router.get("/scoring")
def model_list(request: Request, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        return render(request, "scoring/list.html", _list_context(session, viewer))


@router.get("/scoring/models/{model_id:int}")
def model_page(request: Request, model_id: int, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        row = scoring.get_model(session, model_id)
        context = {"row": row, "model": scoring.parse(row.yaml), "shown_id": row.id}
        return render(request, "scoring/model.html", _shared(viewer, context))


@router.get("/scoring/export")
def download(request: Request, viewer: CurrentViewer) -> Response:
    """The YAML of ``?id=`` (a stored version), else of the active model (or the built-in default)."""
    raw = request.query_params.get("id", "")
    with unit_of_work(request.app.state.db_url) as session:
        model_id = int(raw) if raw.isdigit() else None
        text = scoring.export_model(session, model_id)
        label = (
            scoring.get_model(session, model_id).label
            if model_id
            else scoring.active_model(session).model.label
        )
    filename = label.replace(" ", "-") + ".yaml"
    return Response(
        text.encode(),
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.post("/scoring/upload")
async def upload(request: Request, viewer: CurrentViewer) -> Response:
    """Store an uploaded YAML file as a new (inactive) version; a bad file is refused whole, with every
    problem and where it is."""
    scoring.require_model_editor(viewer.principal)
    form = await request.form()
    file = form.get("file")
    problems: list[str] = []
    text = ""
    if not isinstance(file, UploadFile) or not file.filename:
        problems.append(tr(request, N_("Choose a YAML file to upload.")))
    else:
        raw = await file.read(MAX_UPLOAD + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(tr(request, N_("The file is not UTF-8 text.")))
        if len(raw) > MAX_UPLOAD:
            problems = [tr(request, N_("The file is too large for a scoring model."))]
    if not problems:
        result = _store(request, viewer, text)
        if isinstance(result, Saved):
            flash(request, "success", _saved_message(request, result))
            return RedirectResponse(f"/scoring/models/{result.id}", status_code=303)
        problems = result
    with unit_of_work(request.app.state.db_url) as session:
        context = {**_list_context(session, viewer), "upload_problems": problems}
        return render(request, "scoring/list.html", context, status_code=422)


@dataclass(frozen=True, slots=True)
class Saved:
    """A stored version; ``is_new`` is false when the same rules were already stored under that version."""

    id: int
    label: str
    is_new: bool


def _store(request: Request, viewer: Viewer, source: str | dict[str, Any]) -> Saved | list[str]:
    """Store ``source`` as a version: what was saved, or every problem as a line naming where it is."""
    try:
        with unit_of_work(request.app.state.db_url) as session:
            before = {row.id for row in scoring.list_models(session)}
            row = scoring.import_model(session, viewer.principal, source, _now())
            return Saved(row.id, row.label, row.id not in before)
    except InvalidModel as exc:
        return [p.line(request_locale(request)) for p in exc.problems]
    except Conflict as exc:
        return [exc.message]


def _saved_message(request: Request, row: Saved) -> str:
    if not row.is_new:
        return tr(
            request, N_("This model is already stored as %(model)s; nothing new was saved."), model=row.label
        )
    return tr(
        request,
        N_("Saved as %(model)s (not active yet). Backtest it before switching to it."),
        model=row.label,
    )


def _source(session: Session, raw: str) -> tuple[ScoringModelVersion | None, ScoringModel, str]:
    """The version to copy (``?from=`` id, else the active one), its model and its YAML text."""
    if raw.isdigit():
        row = scoring.get_model(session, int(raw))
        return row, scoring.parse(row.yaml), row.yaml
    active = scoring.active_model(session)
    if active.row_id is not None:
        row = scoring.get_model(session, active.row_id)
        return row, active.model, row.yaml
    return None, active.model, to_yaml(active.model)


def _next_version(session: Session, model: ScoringModel) -> int:
    versions = [r.version for r in scoring.list_models(session) if r.name == model.name]
    return max([model.version, *versions]) + 1


def _editor(request: Request, viewer: Viewer, raw_from: str, **over: Any) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        row, model, text = _source(session, raw_from)
        version = _next_version(session, model)
        context: dict[str, Any] = {
            "source_row": row,
            "model": model,
            "data": to_dict(model),
            "version": version,
            "yaml_text": with_version(text, version),
            "values": {},
            "errors": {},
            "problems": [],
            "yaml_problems": [],
            "mode": "form",
            **over,
        }
        status = 422 if context["errors"] or context["problems"] or context["yaml_problems"] else 200
        return render(request, "scoring/edit.html", _shared(viewer, context), status_code=status)


@router.get("/scoring/edit")
def edit_page(request: Request, viewer: CurrentViewer) -> Response:
    scoring.require_model_editor(viewer.principal)
    return _editor(request, viewer, request.query_params.get("from", ""))


@router.post("/scoring/edit")
async def save_edit(request: Request, viewer: CurrentViewer) -> Response:
    """Save the edited copy as the next version; with ``mode=yaml`` the textarea's YAML is stored instead."""
    scoring.require_model_editor(viewer.principal)
    form = await request.form()
    raw_from = str(form.get("from", ""))
    mode = "yaml" if form.get("mode") == "yaml" else "form"
    if mode == "yaml":
        text = str(form.get("yaml", ""))
        result = _store(request, viewer, text)
        if isinstance(result, list):
            return _editor(request, viewer, raw_from, mode="yaml", yaml_text=text, yaml_problems=result)
        return _after_save(request, result)
    with unit_of_work(request.app.state.db_url) as session:
        _, model, _ = _source(session, raw_from)
        edit = apply_form(to_dict(model), form, _next_version(session, model))
    values = {str(k): str(v) for k, v in form.items() if isinstance(v, str)}
    if edit.errors:
        errors = {name: tr(request, msgid) for name, msgid in edit.errors.items()}
        return _editor(request, viewer, raw_from, values=values, errors=errors)
    try:
        with unit_of_work(request.app.state.db_url) as session:
            row = scoring.import_model(session, viewer.principal, edit.data, _now())
            saved = Saved(row.id, row.label, True)
    except InvalidModel as exc:
        lang = request_locale(request)
        placed, rest = place_problems(exc.problems, lang)
        problems = [p.line(lang) for p in rest]
        return _editor(request, viewer, raw_from, values=values, errors=placed, problems=problems)
    except Conflict as exc:
        return _editor(request, viewer, raw_from, values=values, problems=[exc.message])
    return _after_save(request, saved)


def _after_save(request: Request, row: Saved) -> Response:
    flash(request, "success", _saved_message(request, row))
    return RedirectResponse(f"/scoring/models/{row.id}/backtest", status_code=303)


@router.get("/scoring/models/{model_id:int}/backtest")
def backtest_page(request: Request, model_id: int, viewer: CurrentViewer) -> Response:
    """The candidate and, with ``?run=1``, the backtest against the active model (a fragment for HTMX)."""
    scoring.require_model_editor(viewer.principal)
    with unit_of_work(request.app.state.db_url) as session:
        row = scoring.get_model(session, model_id)
        session.expunge(row)
        active = scoring.active_model(session)
    context: dict[str, Any] = {"row": row, "active_label": active.model.label, "is_active": row.active}
    if request.query_params.get("run") == "1":
        report = scoring_backtest.backtest(request.app.state.db_url, row.yaml, _now(), viewer.principal)
        context["report"] = report
        context["result"] = result = report.as_json()
        context["chart"] = _chart(request, result)
        if is_htmx(request):
            return render(request, "scoring/_backtest_result.html", _shared(viewer, context))
    return render(request, "scoring/backtest.html", _shared(viewer, context))


def _chart(request: Request, result: dict[str, Any]) -> dict[str, Any]:
    """The monthly MQL and SQL counts as the chart's series, with their names in the reader's language."""
    months = result["months"]

    def series(side: str, key: str) -> list[int]:
        return [int(result[side][key].get(m, 0)) for m in months]

    return {
        "months": months,
        "active": {"mql": series("active", "mql_per_month"), "sql": series("active", "sql_per_month")},
        "candidate": {
            "mql": series("candidate", "mql_per_month"),
            "sql": series("candidate", "sql_per_month"),
        },
        "labels": {
            "mql_active": tr(request, N_("MQLs (active)")),
            "mql_candidate": tr(request, N_("MQLs (candidate)")),
            "sql_active": tr(request, N_("SQLs (active)")),
            "sql_candidate": tr(request, N_("SQLs (candidate)")),
        },
    }


@router.post("/scoring/models/{model_id:int}/activate")
def activate(request: Request, model_id: int, viewer: CurrentViewer) -> Response:
    """Switch to this version and rescore every lead with it; the toast says how many were rescored and how
    many the model moved to a new stage."""
    done = scoring_bulk.activate(request.app.state.db_url, viewer.principal, model_id, _now())
    summary = done.rescore
    flash(
        request,
        "success",
        tr(
            request,
            N_(
                "%(model)s is now active: %(leads)s leads rescored, %(changed)s scores changed, %(moved)s moved to a new stage."
            ),
            model=done.label,
            leads=summary.leads if summary else 0,
            changed=summary.written if summary else 0,
            moved=summary.moved if summary else 0,
        ),
    )
    return RedirectResponse("/scoring", status_code=303)
