"""Scoring routes of /api/v1: why a lead has its score, its BANT, the Opportunity gate, scoring models,
the team's BANT criteria, rescoring and backtests. Each parses input, calls one service, shapes the answer.

Reading needs ``leads:read``, writing ``leads:write``; changing models, rescoring and backtesting are for
admins and marketers, BANT criteria for admins and sales managers (the services refuse others with 403).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from pheu.api.deps import ApiContext, require
from pheu.api.problems import problem
from pheu.api.v1 import change_out
from pheu.auth.roles import Scope
from pheu.i18n import normalize_locale
from pheu.score.bant import BantCriteria
from pheu.services import scoring, scoring_backtest, scoring_bant, scoring_bulk, scoring_lead
from pheu.services.errors import Invalid
from pheu.services.schemas import StageChangeOut
from pheu.store import ScoringModelVersion


def accepted_language(request: Request) -> str:
    """The first supported language of ``Accept-Language``; English otherwise, like every ``detail``."""
    for tag in request.headers.get("accept-language", "").split(","):
        code = normalize_locale(tag.split(";")[0])
        if code:
            return code
    return "en"


def model_problems(request: Request, exc: scoring.InvalidModel) -> Response:
    """422 ``invalid_model`` with one ``errors`` entry per problem: where, the setting, its ``code`` and
    ``params`` for programs, ``message`` in the caller's language and both languages in ``vi`` / ``en``."""
    lang = accepted_language(request)
    lines = "; ".join(p.line(lang) for p in exc.problems)
    detail = (
        f"Mô hình chấm điểm có {len(exc.problems)} vấn đề: {lines}"
        if lang == "vi"
        else f"The scoring model has {len(exc.problems)} problem(s): {lines}"
    )
    errors = [{**p.as_json(), "message": p.line(lang), "where": p.where_in(lang)} for p in exc.problems]
    return problem(422, "Invalid input", detail, code=exc.code, instance=request.url.path, errors=errors)


class ScoringRoute(APIRoute):
    """Turns a refused model into problem details listing every problem (the shared handler keeps one)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except scoring.InvalidModel as exc:
                return model_problems(request, exc)

        return run


router = APIRouter(prefix="/api/v1", route_class=ScoringRoute)

ReadLeads = Annotated[ApiContext, Depends(require(Scope.LEADS_READ))]
WriteLeads = Annotated[ApiContext, Depends(require(Scope.LEADS_WRITE))]
_MODEL_BODY = {
    "requestBody": {
        "required": True,
        "description": "A scoring model as YAML (as `pheu scoring export` writes it) or as the same data in JSON.",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


class ContributionOut(BaseModel):
    rule_id: str
    part: str
    label_vi: str
    label_en: str
    points_raw: float
    points_after_decay: float
    count: int
    matched: int


class GapOut(BaseModel):
    code: str
    vi: str
    en: str


class ScoreOut(BaseModel):
    lead_id: int
    stage: str
    model_id: int | None
    model: str
    at: datetime
    total: float
    fit: float
    behaviour: float
    negative: float
    temperature: str
    stored_score: int
    scored_at: datetime | None
    contributions: list[ContributionOut]
    next_stage: str | None
    gaps: list[GapOut]


class CriteriaOut(BaseModel):
    min_budget_minor: int | None
    min_budget_currency: str | None
    min_budget_level: str | None
    authority: list[str]
    min_need_level: str | None
    timing_within: str | None


class BantOut(BaseModel):
    lead_id: int
    budget_amount_minor: int | None = None
    budget_currency: str | None = None
    budget_level: str | None = None
    authority: str | None = None
    need: str = ""
    need_level: str | None = None
    timing_window: str | None = None
    timing_date: date | None = None
    opportunity_amount_minor: int | None = None
    opportunity_currency: str | None = None
    expected_close_date: date | None = None
    notes: str | None = None
    updated_at: datetime | None = None
    met: bool
    gaps: list[GapOut]
    criteria: CriteriaOut


class ModelOut(BaseModel):
    id: int
    name: str
    version: int
    active: bool
    created_at: datetime
    created_by: int | None
    activated_at: datetime | None
    yaml: str | None = None


class RescoreOut(BaseModel):
    leads: int
    written: int
    moved: int
    seconds: float
    model: str


class BacktestSideOut(BaseModel):
    model: str
    leads: int
    customers: int
    roc_auc: float | None
    top_decile_lift: float | None
    mqls: int
    sqls: int
    mql_per_month: dict[str, int]
    sql_per_month: dict[str, int]
    mql_to_sql: float | None
    sql_to_customer: float | None


class BacktestOut(BaseModel):
    active: BacktestSideOut
    candidate: BacktestSideOut
    months: list[str]
    leads: int
    seconds: float


class ActivationOut(BaseModel):
    model_id: int
    model: str
    rescore: RescoreOut | None


def score_out(e: scoring_lead.Explanation) -> ScoreOut:
    return ScoreOut(
        lead_id=e.lead_id,
        stage=e.stage,
        model_id=e.model_id,
        model=e.model,
        at=e.at,
        total=e.total,
        fit=e.fit,
        behaviour=e.behaviour,
        negative=e.negative,
        temperature=e.temperature,
        stored_score=e.stored_score,
        scored_at=e.scored_at,
        contributions=[
            ContributionOut(
                rule_id=c.rule_id,
                part=c.part,
                label_vi=c.label_vi,
                label_en=c.label_en,
                points_raw=c.points_raw,
                points_after_decay=c.points_after_decay,
                count=c.count,
                matched=c.matched,
            )
            for c in e.contributions
        ],
        next_stage=e.next_stage.value if e.next_stage else None,
        gaps=[GapOut(code=g.code, vi=g.vi, en=g.en) for g in e.gaps],
    )


def criteria_out(c: BantCriteria) -> CriteriaOut:
    return CriteriaOut(
        min_budget_minor=c.min_budget.amount if c.min_budget else None,
        min_budget_currency=c.min_budget.currency if c.min_budget else None,
        min_budget_level=c.min_budget_level.value if c.min_budget_level else None,
        authority=sorted(a.value for a in c.authority),
        min_need_level=c.min_need_level.value if c.min_need_level else None,
        timing_within=c.timing_within.value if c.timing_within else None,
    )


def bant_out(v: scoring_bant.BantView) -> BantOut:
    record = v.record
    stored: dict[str, Any] = {}
    if record is not None:
        stored = {name: getattr(record, name) for name in scoring_bant.BANT_FIELDS}
        stored["updated_at"] = record.updated_at
    return BantOut(
        lead_id=v.lead_id,
        **stored,
        met=v.met,
        gaps=[GapOut(code=g.part, vi=g.vi, en=g.en) for g in v.gaps],
        criteria=criteria_out(v.criteria),
    )


def model_out(row: ScoringModelVersion, *, with_yaml: bool = False) -> ModelOut:
    return ModelOut(
        id=row.id,
        name=row.name,
        version=row.version,
        active=row.active,
        created_at=row.created_at,
        created_by=row.created_by,
        activated_at=row.activated_at,
        yaml=row.yaml if with_yaml else None,
    )


def rescore_out(s: scoring_bulk.RescoreSummary) -> RescoreOut:
    return RescoreOut(leads=s.leads, written=s.written, moved=s.moved, seconds=s.seconds, model=s.model)


def activation_out(a: scoring_bulk.Activation) -> ActivationOut:
    rescore = None if a.rescore is None else rescore_out(a.rescore)
    return ActivationOut(model_id=a.model_id, model=a.label, rescore=rescore)


async def model_source(request: Request) -> str | dict[str, Any]:
    """The model in the body: YAML text, or JSON (the model itself, or ``{"yaml": "…"}``)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    if "json" not in request.headers.get("content-type", ""):
        return body
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise Invalid(f"The body is not valid JSON ({exc.msg} at line {exc.lineno}).", field="body") from exc
    if not isinstance(data, dict):
        raise Invalid("Send the model as a JSON object, or as YAML with Content-Type: application/yaml.")
    yaml_text = data.get("yaml") if set(data) == {"yaml"} else None
    return yaml_text if isinstance(yaml_text, str) else data


ModelSource = Annotated[str | dict[str, Any], Depends(model_source)]


@router.get("/leads/{lead_id}/score", tags=["scoring"])
def lead_score(ctx: ReadLeads, lead_id: int) -> ScoreOut:
    """Why this score: each rule that contributed (points before and after decay), the fit, behaviour and
    negative parts, the temperature, and what would move the lead to its next stage."""
    with ctx.uow() as session:
        return score_out(scoring_lead.explain(session, ctx.principal, lead_id, ctx.now))


@router.get("/leads/{lead_id}/bant", tags=["scoring"])
def get_bant(ctx: ReadLeads, lead_id: int) -> BantOut:
    with ctx.uow() as session:
        return bant_out(scoring_bant.view(session, ctx.principal, lead_id, ctx.now))


@router.put("/leads/{lead_id}/bant", tags=["scoring"])
def put_bant(ctx: WriteLeads, lead_id: int, body: scoring_bant.BantPatch) -> BantOut:
    """Record Budget, Authority, Need, Timing and the deal's amount and close date; the fields sent replace
    the stored ones. The answer says whether the team's criteria are met and what is missing."""
    with ctx.uow() as session:
        return bant_out(scoring_bant.update(session, ctx.principal, lead_id, body, ctx.now))


@router.post("/leads/{lead_id}/opportunity", status_code=201, tags=["scoring"])
def make_opportunity(ctx: WriteLeads, lead_id: int, body: scoring_bant.OpportunityIn) -> StageChangeOut:
    """Move an SQL to Opportunity. Refused (422 ``opportunity_not_ready``) until the BANT criteria are met
    and the amount and expected close date are known (send them here or with PUT …/bant)."""
    with ctx.uow() as session:
        return change_out(scoring_bant.move_to_opportunity(session, ctx.principal, lead_id, body, ctx.now))


@router.get("/scoring/models", tags=["scoring"])
def list_models(ctx: ReadLeads) -> list[ModelOut]:
    """Every stored version, newest first; exactly one is active (none until a model is imported: the
    built-in default scores meanwhile)."""
    with ctx.uow() as session:
        return [model_out(row) for row in scoring.list_models(session)]


@router.get("/scoring/models/{model_id}", tags=["scoring"])
def get_model(ctx: ReadLeads, model_id: int) -> ModelOut:
    with ctx.uow() as session:
        return model_out(scoring.get_model(session, model_id), with_yaml=True)


@router.post("/scoring/models", status_code=201, tags=["scoring"], openapi_extra=_MODEL_BODY)
def import_model(
    ctx: WriteLeads,
    source: ModelSource,
    response: Response,
    activate: Annotated[bool, Query(description="Make it the active model")] = False,
    rescore: Annotated[bool, Query(description="After activating, rescore every lead")] = True,
) -> ActivationOut:
    """Store a model version. Every problem is listed at once, naming the rule and setting (422
    ``invalid_model``); the same name and version with other rules is a 409."""
    result = scoring_bulk.import_and_activate(
        ctx.db_url, ctx.principal, source, ctx.now, activate_it=activate, rescore_leads=rescore
    )
    response.headers["Location"] = f"/api/v1/scoring/models/{result.model_id}"
    return activation_out(result)


@router.post("/scoring/models/{model_id}/activate", tags=["scoring"])
def activate_model(
    ctx: WriteLeads,
    model_id: int,
    rescore: Annotated[bool, Query(description="Rescore every lead with it now")] = True,
) -> ActivationOut:
    """Make a stored version the active one and (by default) rescore every lead set-wise with it."""
    return activation_out(
        scoring_bulk.activate(ctx.db_url, ctx.principal, model_id, ctx.now, rescore_leads=rescore)
    )


@router.post("/scoring/rescore", tags=["scoring"])
def rescore_all(ctx: WriteLeads) -> RescoreOut:
    """Rescore every lead with the active model (after editing criteria, or from a scheduler)."""
    s = scoring_bulk.rescore_all(ctx.db_url, ctx.now, principal=ctx.principal)
    return rescore_out(s)


@router.post("/scoring/backtest", tags=["scoring"], openapi_extra=_MODEL_BODY)
def backtest(ctx: ReadLeads, source: ModelSource) -> BacktestOut:
    """Replay every lead's history with the candidate model in the body, side by side with the active one:
    ROC-AUC and top-decile lift against who became a customer, MQLs and SQLs per month, MQL→SQL and
    SQL→customer rates (``null`` where undefined)."""
    return BacktestOut.model_validate(
        scoring_backtest.backtest(ctx.db_url, source, ctx.now, ctx.principal).as_json()
    )


@router.get("/scoring/bant-criteria", tags=["scoring"])
def get_criteria(ctx: ReadLeads) -> CriteriaOut:
    with ctx.uow() as session:
        return criteria_out(scoring_bant.criteria(session))


@router.put("/scoring/bant-criteria", tags=["scoring"])
def put_criteria(ctx: WriteLeads, body: scoring_bant.CriteriaIn) -> CriteriaOut:
    """The team's bar for an Opportunity; an unset part is not checked."""
    with ctx.uow() as session:
        return criteria_out(scoring_bant.set_criteria(session, ctx.principal, body, ctx.now))
