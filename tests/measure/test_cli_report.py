"""``pheu report`` on a small demo database, run as a person or a script would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pheu import db
from pheu.cli import app
from pheu.demo.seed import seed
from pheu.store import Lead

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'demo.db'}"
    db.upgrade(url)
    seed(url, n_leads=300, now=datetime.now(UTC))
    yield url
    db.get_engine(url).dispose()


def run_json(url: str, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["report", "--json", "--db-url", url, *args])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_json_report_counts_the_sales_leads_created_in_the_last_30_days(demo_url: str) -> None:
    data = run_json(demo_url)
    assert {
        "funnel",
        "rates",
        "cost_per_lead_by_channel",
        "times",
        "channel_quality",
        "previous_period",
    } <= set(data)
    assert data["period"]["days"] == 30
    start, end = (datetime.fromisoformat(data["period"][k]) for k in ("start", "end"))
    with db.unit_of_work(demo_url) as s:
        created = s.scalar(
            select(func.count())
            .select_from(Lead)
            .where(Lead.kind == "sales", Lead.created_at >= start, Lead.created_at < end)
        )
    cohort = [row["leads"] for row in data["funnel"]["cohort"]]
    assert created is not None
    assert cohort[0] == created > 0
    assert cohort == sorted(cohort, reverse=True)  # reaching a stage implies reaching the ones before
    assert data["rates"]["lead_to_customer"] == (round(cohort[4] / cohort[0], 4) if cohort[0] else None)


def test_cost_per_lead_by_channel_is_spend_over_leads_in_vnd(demo_url: str) -> None:
    lines = run_json(demo_url, "--from", "2026-01-01")["cost_per_lead_by_channel"]
    assert lines, "the demo books daily costs on its paid channels"
    for line in lines:
        assert line["currency"] == "VND"
        spend = line["spend"][0]["amount_minor"]
        expected = (2 * spend + line["leads"]) // (2 * line["leads"]) if line["leads"] else None
        assert line["cost_per_lead"] == expected


def test_channel_filter_narrows_the_cohort(demo_url: str) -> None:
    everything = run_json(demo_url, "--from", "2026-01-01")
    facebook = run_json(demo_url, "--from", "2026-01-01", "--channel", "facebook_ads")
    quality = {c["name"]: c["leads"] for c in everything["channel_quality"]["channels"]}
    assert facebook["funnel"]["cohort"][0]["leads"] == quality["facebook_ads"]
    assert [c["name"] for c in facebook["channel_quality"]["channels"]] == ["facebook_ads"]


def test_tables_for_people(demo_url: str) -> None:
    result = runner.invoke(app, ["report", "--db-url", demo_url], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for title in ("Funnel", "Conversion rates", "Time between stages", "Cost by channel", "Channel quality"):
        assert title in result.output
    assert "₫" in result.output


def test_an_unknown_channel_says_which_ones_exist(demo_url: str) -> None:
    result = runner.invoke(app, ["report", "--db-url", demo_url, "--channel", "myspace"])
    assert result.exit_code == 1
    assert "Unknown channel myspace" in result.output
    assert "facebook_ads" in result.output


def test_a_period_ending_before_it_starts_is_a_usage_error(demo_url: str) -> None:
    result = runner.invoke(
        app,
        ["report", "--db-url", demo_url, "--from", "2026-03-10", "--to", "2026-03-01"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 2
    assert "before it starts" in result.output
