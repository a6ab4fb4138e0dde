"""Duplicate review pages: likely pairs by score, two leads side by side, merge or dismiss, and the merge
history with undo. Only admins, marketers and sales managers get in (the services refuse everyone else)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from pheu.db import unit_of_work
from pheu.i18n import N_
from pheu.services import duplicates
from pheu.services import merges as merging
from pheu.services.errors import Conflict, Invalid, NotFound, ServiceError
from pheu.web.auth import CurrentViewer, request_locale
from pheu.web.csrf import csrf_protect
from pheu.web.errors import PageRoute, service_error_message
from pheu.web.templating import flash, render, tr

router = APIRouter(route_class=PageRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False)
PAGE_SIZE: Final = 50
CHOICE_PREFIX: Final = "choice_"

# What each lead field is called on a page (shared with the rejected-records pages).
FIELD_LABELS: Final[dict[str, str]] = {
    "full_name": N_("Full name"),
    "name": N_("Full name"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "job_title": N_("Job title"),
    "company": N_("Company"),
    "industry": N_("Industry"),
    "company_size": N_("Company size"),
    "country": N_("Country"),
    "province": N_("Province"),
    "city": N_("City"),
    "age_range": N_("Age"),
    "gender": N_("Gender"),
    "income_range": N_("Income"),
    "marital_status": N_("Marital status"),
    "interests": N_("Interests"),
    "notes": N_("Notes"),
    "channel": N_("Channel"),
    "channel_id": N_("Channel"),
    "campaign_id": N_("Campaign"),
    "utm_source": N_("UTM source"),
    "utm_medium": N_("UTM medium"),
    "utm_campaign": N_("UTM campaign"),
    "utm_term": N_("UTM term"),
    "utm_content": N_("UTM content"),
    "landing_page": N_("Landing page"),
    "referrer": N_("Referrer"),
    "lead_magnet": N_("Lead magnet"),
    "owner_id": N_("Owner"),
    "flags": N_("Data-quality flags"),
    "kind": N_("Pipeline"),
}

REASONS: Final[dict[str, str]] = {
    "same_name": N_("Same name"),
    "similar_name": N_("Similar name"),
    "same_company": N_("Same company"),
    "similar_company": N_("Similar company"),
    "same_phone": N_("Same phone"),
    "phone_one_digit_off": N_("Phone one digit off"),
    "same_email": N_("Same shared email"),
}

# Why a review action was refused, by the service's error code.
REFUSALS: Final[dict[str, str]] = {
    "already_decided": N_("This pair was already decided."),
    "already_undone": N_("This merge was already undone."),
    "merged_again": N_("This lead was merged again later: undo the newer merge first."),
    "id_reused": N_("The merged lead's id is in use again, so it cannot be brought back."),
    "already_resolved": N_("This record was already fixed or discarded."),
    "not_in_pair": N_("Choose one of the two leads to keep."),
    "same_lead": N_("A lead cannot be merged into itself."),
    "kinds_differ": N_("A job applicant and a sales lead cannot be merged."),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _page(request: Request) -> int:
    value = request.query_params.get("page", "1")
    return max(1, int(value)) if value.isdigit() else 1


@router.get("/duplicates")
def candidate_list(request: Request, viewer: CurrentViewer) -> Response:
    page = _page(request)
    with unit_of_work(request.app.state.db_url) as session:
        items, total = duplicates.open_candidates(
            session, viewer.principal, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        context: dict[str, Any] = {"items": items, "total": total, "page": page, "page_size": PAGE_SIZE}
        return render(request, "duplicates/list.html", _shared(context, "candidates"))


@router.post("/duplicates/scan")
def scan(request: Request, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        result = duplicates.scan(session, _now(), viewer.principal)
    flash(
        request,
        "success",
        tr(request, N_("Scan finished: %(count)s new pairs to review."), count=result.added),
    )
    return RedirectResponse("/duplicates", status_code=303)


@router.get("/duplicates/merges")
def merge_history(request: Request, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        merges = merging.history(session, viewer.principal, limit=100)
        return render(request, "duplicates/merges.html", _shared({"merges": merges}, "merges"))


@router.get("/duplicates/{candidate_id:int}")
def candidate_page(request: Request, candidate_id: int, viewer: CurrentViewer) -> Response:
    with unit_of_work(request.app.state.db_url) as session:
        comparison = duplicates.compare(session, viewer.principal, candidate_id)
        return render(request, "duplicates/detail.html", _shared({"cmp": comparison}, "candidates"))


@router.post("/duplicates/{candidate_id:int}/merge")
async def merge(request: Request, candidate_id: int, viewer: CurrentViewer) -> Response:
    """``keep`` is the surviving lead's id; each ``choice_<field>`` the id of the lead whose value to keep."""
    form = await request.form()
    keep = str(form.get("keep", ""))
    choices = {
        str(k)[len(CHOICE_PREFIX) :]: int(v)
        for k, v in form.multi_items()
        if str(k).startswith(CHOICE_PREFIX) and isinstance(v, str) and v.isdigit()
    }
    if not keep.isdigit():
        flash(request, "danger", tr(request, N_("Choose which lead to keep.")))
        return RedirectResponse(f"/duplicates/{candidate_id}", status_code=303)
    return await run_in_threadpool(
        _run,
        request,
        lambda s: merging.merge_candidate(s, viewer.principal, candidate_id, int(keep), _now(), choices),
        N_("The two leads were merged. You can undo this in the merge history."),
        ("/duplicates/merges", f"/duplicates/{candidate_id}"),
    )


@router.post("/duplicates/{candidate_id:int}/dismiss")
def dismiss(request: Request, candidate_id: int, viewer: CurrentViewer) -> Response:
    return _run(
        request,
        lambda s: duplicates.dismiss(s, viewer.principal, candidate_id, _now()),
        N_("Marked as not a duplicate. This pair will not be proposed again."),
        ("/duplicates", "/duplicates"),
    )


@router.post("/duplicates/merges/{merge_id:int}/undo")
def undo(request: Request, merge_id: int, viewer: CurrentViewer) -> Response:
    return _run(
        request,
        lambda s: merging.undo_merge(s, viewer.principal, merge_id, _now()),
        N_("The merge was undone."),
        ("/duplicates/merges", "/duplicates/merges"),
    )


def _run(request: Request, action: Callable[[Session], object], done: str, urls: tuple[str, str]) -> Response:
    """One service call in a unit of work, then back to a page (``urls``: after success, after a refusal) with
    a toast saying how it went."""
    try:
        with unit_of_work(request.app.state.db_url) as session:
            result = action(session)
    except (Conflict, Invalid, NotFound) as exc:
        flash(request, "danger", refusal(request, exc))
        return RedirectResponse(urls[1], status_code=303)
    message = tr(request, done)
    if isinstance(result, merging.UndoResult) and result.conflicts:
        names = ", ".join(tr(request, FIELD_LABELS.get(f, f)) for f in result.conflicts)
        message += " " + tr(
            request, N_("Changed again since the merge, so left as they are: %(fields)s."), fields=names
        )
    flash(request, "success", message)
    return RedirectResponse(urls[0], status_code=303)


def refusal(request: Request, exc: ServiceError) -> str:
    """Why a review action was refused, in the reader's language."""
    msgid = REFUSALS.get(exc.code)
    return tr(request, msgid) if msgid else service_error_message(request_locale(request), exc)


def _shared(context: dict[str, Any], tab: str) -> dict[str, Any]:
    return {**context, "section": "duplicates", "tab": tab, "FIELD_LABELS": FIELD_LABELS, "REASONS": REASONS}
