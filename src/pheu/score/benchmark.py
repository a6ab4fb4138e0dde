"""Measuring the set-wise rescoring on synthetic arrays (issue 4: 1,000,000 leads × 10,000,000 events < 30 s).

A measuring tool, not part of the pure core: it reads the performance counter. The data is deterministic for a
seed: event lead, type and time drawn at random (unsorted, so the sort is timed too), half of the events of
rules with property conditions matching, lead columns drawn from the demo's vocabulary.

    uv run python -m pheu.score.benchmark --leads 1000000 --events 10000000
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from pheu.demo.generate import build_catalogue, iter_lead_chunks
from pheu.lifecycle import LeadKind
from pheu.score.backtest import Comparison, compare
from pheu.score.bulk import Bools, Column, EventBatch, LeadTable, rescore
from pheu.score.defaults import default_model
from pheu.score.facts import DAY_SECONDS, EventFact, FieldValue, LeadFacts, seconds
from pheu.score.model import ScoringModel
from pheu.score.replay import History

AT = datetime(2026, 11, 26, tzinfo=UTC)
TYPES = (
    "page_view", "form_submit", "email_open", "email_click", "download", "coupon_redeem", "webinar_attend",
    "event_attend", "reply", "call", "meeting", "pricing_page_view", "unsubscribe", "bounce",
)  # fmt: skip
_WEIGHTS = np.array([30, 6, 25, 9, 4, 1, 2, 1, 5, 5, 2, 8, 0.5, 0.5])
_COLUMNS: dict[str, tuple[FieldValue, ...]] = {
    "job_title": (
        "Giám đốc",
        "Chủ doanh nghiệp",
        "Trưởng phòng Marketing",
        "Nhân viên kinh doanh",
        "Sinh viên",
        None,
    ),
    "company_size": ("1-9", "10-49", "50-199", "200-499", "500+", None),
    "industry": ("Bán lẻ", "F&B", "Giáo dục", "Spa & Làm đẹp", "Sản xuất", "Công nghệ", None),
    "province": ("TP. Hồ Chí Minh", "Hà Nội", "Đà Nẵng", "Cần Thơ", "Huế", "Lạng Sơn"),
    "company": ("Công ty TNHH Minh Phát", None),
    "phone": ("+84901234567", None),
    "interests": ((), ("TikTok Shop",), ("Du lịch", "SEO")),
    "flags": ((), ("email_disposable",), ("bought_list",), ("email_fake",)),
    "email_domain": ("gmail.com", "minhphat.vn", "doithu.vn", None),
    "kind": ("sales", "recruitment"),
}


def synthetic(
    model: ScoringModel, n_leads: int, n_events: int, seed: int = 0
) -> tuple[LeadTable, EventBatch, dict[str, Bools]]:
    """Leads, events (a year before ``AT``) and property masks for ``model``."""
    rng = np.random.default_rng(seed)
    columns = {
        name: Column(rng.integers(0, len(values), n_leads, dtype=np.int32), values)
        for name, values in _COLUMNS.items()
    }
    batch = EventBatch(
        lead=rng.integers(0, n_leads, n_events, dtype=np.int64),
        type_code=rng.choice(len(TYPES), n_events, p=_WEIGHTS / _WEIGHTS.sum()).astype(np.int32),
        time=seconds(AT) - rng.integers(0, 365 * DAY_SECONDS, n_events, dtype=np.int64),
        types=TYPES,
    )
    masks = {r.id: rng.random(n_events) < 0.5 for r in model.all_rules() if getattr(r, "when", ())}
    return LeadTable(n_leads, columns), batch, masks


def run(n_leads: int, n_events: int, seed: int = 0) -> float:
    """Seconds to rescore every lead (sorting included, data generation not)."""
    model = default_model()
    table, batch, masks = synthetic(model, n_leads, n_events, seed)
    started = time.perf_counter()
    rescore(model, table, batch, AT, masks)
    return time.perf_counter() - started


DemoPast = tuple[list[LeadFacts], list[list[EventFact]], list[datetime | None]]


def demo_past(n_leads: int, seed: int = 0) -> DemoPast:
    """The demo generator's pipeline (six months to ``AT``): leads, their events, when each became a customer."""
    rng = random.Random(seed)  # noqa: S311 (reproducible demo data, not secrets)
    facts: list[LeadFacts] = []
    touches: list[list[EventFact]] = []
    customer_at: list[datetime | None] = []
    for chunk in iter_lead_chunks(build_catalogue(n_leads, AT, rng), rng):
        consents: dict[int, dict[str, bool]] = {}
        for row in chunk.consents:
            consents.setdefault(row["lead_id"], {})[row["purpose"]] = row["granted"]
        by_lead: dict[int, list[EventFact]] = {}
        for row in chunk.events:
            by_lead.setdefault(row["lead_id"], []).append(
                EventFact(row["type"], row["occurred_at"], row["properties"])
            )
        won = {row["lead_id"]: row["at"] for row in chunk.stage_changes if row["to_stage"] == "customer"}
        for row in chunk.leads:
            kind = LeadKind(row["kind"])
            facts.append(LeadFacts(row, frozenset(row["flags"]), kind, consents.get(row["id"], {})))
            touches.append(by_lead.get(row["id"], []))
            customer_at.append(won.get(row["id"]))
    return facts, touches, customer_at


def run_backtest(n_leads: int, seed: int = 0) -> tuple[float, float, Comparison]:
    """Seconds to turn demo leads and events into a history, seconds to compare two models on it, and the
    comparison (the default model against a candidate with 10 points lower thresholds)."""
    model = default_model()
    candidate = replace(
        model, version=2, stages=tuple(replace(s, min_score=s.min_score - 10) for s in model.stages)
    )
    facts, touches, customer_at = demo_past(n_leads, seed)
    started = time.perf_counter()
    history = History.from_facts(facts, touches, customer_at, AT)
    built = time.perf_counter()
    result = compare(model, candidate, history)
    return built - started, time.perf_counter() - built, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backtest", type=int, default=0, help="also backtest this many demo leads")
    args = parser.parse_args()
    if args.events:
        took = run(args.leads, args.events, args.seed)
        print(f"rescored {args.leads:,} leads with {args.events:,} events in {took:.2f} s")
    if args.backtest:
        built, took, result = run_backtest(args.backtest, args.seed)
        print(
            f"backtested {args.backtest:,} demo leads: history built in {built:.2f} s, two models in {took:.2f} s"
        )
        for side in (result.active, result.candidate):
            print(
                f"  {side.model}: AUC {side.roc_auc:.3f}, lift {side.top_decile_lift:.2f}, MQL {side.mqls:,}, "
                f"SQL {side.sqls:,}, MQL→SQL {side.mql_to_sql:.1%}, SQL→customer {side.sql_to_customer:.1%}"
            )


if __name__ == "__main__":
    main()
