"""Campaign costs: the spend per campaign per day that cost per lead, MQL, SQL and customer divide. Typed in
one day at a time or imported from a Facebook Ads Manager or Google Ads export. Admin and marketing only (the
service refuses everyone else)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.i18n import N_
from pheu.services import costs
from pheu.services.costs import CostFileInvalid, CostImport
from pheu.services.errors import Invalid
from pheu.web import queries
from pheu.web.auth import CurrentViewer, request_locale
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute
from pheu.web.pages_reports import Fmt
from pheu.web.templating import flash, render, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)
FormText = Annotated[str, Form()]
MAX_UPLOAD: Final = 20 * 1024 * 1024
SHOWN: Final = 100
CURRENCIES: Final = ("VND", "USD", "EUR", "SGD", "THB", "JPY", "KRW", "CNY")
PROBLEMS: Final[dict[str, str]] = {
    "unknown_campaign": N_("No campaign has this name or utm_campaign. Create the campaign or rename it."),
    "ambiguous_campaign": N_("Several campaigns have this name; rename one or use its utm_campaign."),
    "several_days": N_("The row covers several days. Export with the breakdown by day."),
    "currency": N_("The currency is not a known code (like VND or USD), or the same day has two currencies."),
    "value": N_("The day or the amount cannot be read."),
    "unreadable": N_("The row cannot be read."),
}
SOURCES: Final[dict[str, str]] = {
    "facebook": N_("Facebook Ads Manager export"),
    "google": N_("Google Ads export"),
    "other": N_("Spreadsheet"),
}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _page(request: Request, viewer: CurrentViewer, extra: dict[str, Any] | None = None) -> Response:
    params = request.query_params
    campaign = params.get("campaign", "")
    campaign_id = int(campaign) if campaign.isdigit() and len(campaign) < 12 else None
    first, last = _day(params.get("from")), _day(params.get("to"))
    with unit_of_work(request.app.state.db_url) as session:
        rows = costs.list_costs(
            session, viewer.principal, campaign_id=campaign_id, first_day=first, last_day=last, limit=SHOWN
        )
        context: dict[str, Any] = {
            "section": "costs",
            "rows": rows,
            "names": costs.campaign_names(session),
            "campaigns": queries.campaigns(session),
            "filters": {"campaign": campaign_id, "from": first, "to": last},
            "currencies": CURRENCIES,
            "fmt": Fmt(request_locale(request)),
            "today": datetime.now(UTC).date(),
            "shown": SHOWN,
            "form": {},
            "PROBLEMS": PROBLEMS,
            "SOURCES": SOURCES,
            **(extra or {}),
        }
        return render(
            request, "costs/list.html", context, status_code=400 if extra and extra.get("error") else 200
        )


@router.get("/costs")
def cost_list(request: Request, viewer: CurrentViewer) -> Response:
    costs.require_cost_manager(viewer.principal)
    return _page(request, viewer)


@router.post("/costs")
def add_cost(
    request: Request,
    viewer: CurrentViewer,
    campaign_id: FormText = "",
    day: FormText = "",
    amount: FormText = "",
    currency: FormText = "",
) -> Response:
    """Record (or replace) one day's spend for a campaign; the amount is typed as people write money."""
    costs.require_cost_manager(viewer.principal)
    form = {"campaign_id": campaign_id, "day": day, "amount": amount, "currency": currency}
    spent_on = _day(day)
    if not campaign_id.isdigit() or spent_on is None:
        return _page(
            request, viewer, {"form": form, "error": tr(request, N_("Choose a campaign and a day."))}
        )
    try:
        code = costs.check_currency(currency or "VND")
        minor = costs.parse_amount(amount, code)
        with unit_of_work(request.app.state.db_url) as session:
            _, created = costs.set_cost(
                session, viewer.principal, campaign_id=int(campaign_id), day=spent_on, amount_minor=minor,
                currency=code, now=datetime.now(UTC),
            )  # fmt: skip
    except (Invalid, ValueError):
        message = tr(request, N_("Write the amount as a number, like 1.500.000, in a currency such as VND."))
        return _page(request, viewer, {"form": form, "error": message})
    flash(
        request, "success", tr(request, N_("Spend saved.") if created else N_("Spend for that day replaced."))
    )
    return RedirectResponse("/costs", status_code=303)


@router.post("/costs/{cost_id:int}/delete")
def remove_cost(request: Request, cost_id: int, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        costs.delete_cost(session, viewer.principal, cost_id, datetime.now(UTC))
    flash(request, "success", tr(request, N_("Spend deleted.")))
    return RedirectResponse("/costs", status_code=303)


@router.post("/costs/import")
async def import_file(request: Request, viewer: CurrentViewer) -> Response:
    """Import a cost export; the page then lists what was written and every row left out, with why."""
    costs.require_cost_manager(viewer.principal)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, viewer, {"error": tr(request, N_("Choose a file to upload."))})
    folder = Path(tempfile.mkdtemp(prefix="pheu-costs-"))
    try:
        path = folder / "costs.upload"
        size = 0
        with path.open("wb") as out:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > MAX_UPLOAD:
                    return _page(
                        request, viewer, {"error": tr(request, N_("The file is larger than 20 MB."))}
                    )
                out.write(chunk)
        return _import(request, viewer, path, upload.filename)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _import(request: Request, viewer: CurrentViewer, path: Path, filename: str) -> Response:
    try:
        with unit_of_work(request.app.state.db_url) as session:
            result: CostImport = costs.import_costs(session, viewer.principal, path, now=datetime.now(UTC))
    except CostFileInvalid as exc:
        message = tr(
            request, N_("Nothing was imported: fix the rows below, or the columns, and import again.")
        )
        return _page(request, viewer, {"error": message, "refused": exc, "filename": filename})
    return _page(request, viewer, {"imported": result, "filename": filename})
