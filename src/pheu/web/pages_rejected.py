"""Rejected-record pages: what arrived but identified no one, why, and a form to fix and re-submit it (or
discard it), plus a CSV download. Only admins, marketers and sales managers get in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.i18n import N_
from pheu.services import rejected
from pheu.services.errors import Conflict
from pheu.web.auth import CurrentViewer
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.pages_duplicates import FIELD_LABELS, refusal
from pheu.web.templating import flash, render, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)
PAGE_SIZE: Final = 50
FormList = Annotated[list[str] | None, Form()]

STATUS_LABELS: Final[dict[str, str]] = {
    "open": N_("To fix"),
    "fixed": N_("Fixed"),
    "discarded": N_("Discarded"),
    "all": N_("All"),
}


@dataclass(frozen=True, slots=True)
class Filters:
    """The list's filters as the query string carries them; ``status`` "all" shows every status."""

    source: str = ""
    import_id: int | None = None
    status: str = "open"
    page: int = 1

    @classmethod
    def parse(cls, params: QueryParams) -> Filters:
        status = params.get("status", "open")
        import_id, page = params.get("import_id", ""), params.get("page", "1")
        return cls(
            source=params.get("source", "").strip()[:80],
            import_id=int(import_id) if import_id.isdigit() else None,
            status=status if status in STATUS_LABELS else "open",
            page=max(1, int(page)) if page.isdigit() else 1,
        )

    def where(self) -> rejected.RejectedFilter:
        status = None if self.status == "all" else self.status
        return rejected.RejectedFilter(self.source or None, self.import_id, status)

    def url(self, path: str = "/rejected", **changes: object) -> str:
        values: dict[str, object] = {
            "source": self.source,
            "import_id": self.import_id,
            "status": self.status,
            "page": self.page,
        }
        values.update(changes)
        query = {k: v for k, v in values.items() if v not in ("", None, 1) or k == "status"}
        return f"{path}?{urlencode(query)}"


@router.get("/rejected")
def rejected_list(request: Request, viewer: CurrentViewer) -> Response:
    filters = Filters.parse(request.query_params)
    offset = (filters.page - 1) * PAGE_SIZE
    with unit_of_work(request.app.state.db_url) as session:
        page = rejected.list_rejected(
            session, viewer.principal, filters.where(), limit=PAGE_SIZE, offset=offset
        )
        context = {
            "page": page,
            "filters": filters,
            "page_size": PAGE_SIZE,
            "sources": rejected.sources(session, viewer.principal),
            "imports": rejected.imports(session, viewer.principal),
        }
        return render(request, "rejected/list.html", _shared(context))


@router.get("/rejected/export.csv")
def rejected_csv(request: Request, viewer: CurrentViewer) -> Response:
    filters = Filters.parse(request.query_params)
    with unit_of_work(request.app.state.db_url) as session:
        text = rejected.export_csv(session, viewer.principal, filters.where())
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    headers = {
        "Content-Disposition": f'attachment; filename="rejected-{stamp}.csv"',
        "Cache-Control": "no-store",
    }
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/rejected/{record_id:int}")
def rejected_page(request: Request, record_id: int, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        row = rejected.get_rejected(session, viewer.principal, record_id)
        fields = rejected.editable_fields(row.record)
        return render(request, "rejected/detail.html", _shared({"row": row, "fields": fields}))


@router.post("/rejected/{record_id:int}/fix")
def fix(
    request: Request, record_id: int, viewer: CurrentViewer, key: FormList = None, value: FormList = None
) -> Response:
    """``key`` and ``value`` are parallel lists: the raw fields as the person corrected them."""
    edited = dict(zip(key or [], value or [], strict=False))
    try:
        with unit_of_work(request.app.state.db_url) as session:
            result = rejected.fix(session, viewer.principal, record_id, edited, datetime.now(UTC))
    except Conflict as exc:
        flash(request, "danger", refusal(request, exc))
        return RedirectResponse(f"/rejected/{record_id}", status_code=303)
    if result.status == "fixed" and result.lead_id is not None:
        flash(request, "success", tr(request, N_("Fixed: the record is now a lead.")))
        return RedirectResponse(f"/leads/{result.lead_id}", status_code=303)
    flash(request, "danger", tr(request, N_("Still not accepted. The reasons below say what is wrong.")))
    return RedirectResponse(f"/rejected/{record_id}", status_code=303)


@router.post("/rejected/{record_id:int}/discard")
def discard(request: Request, record_id: int, viewer: CurrentViewer) -> Response:
    try:
        with unit_of_work(request.app.state.db_url) as session:
            rejected.discard(session, viewer.principal, record_id, datetime.now(UTC))
    except Conflict as exc:
        flash(request, "danger", refusal(request, exc))
        return RedirectResponse(f"/rejected/{record_id}", status_code=303)
    flash(request, "success", tr(request, N_("The record was discarded.")))
    return RedirectResponse("/rejected", status_code=303)


def _shared(context: dict[str, object]) -> dict[str, object]:
    return {**context, "section": "rejected", "FIELD_LABELS": FIELD_LABELS, "STATUS_LABELS": STATUS_LABELS}
