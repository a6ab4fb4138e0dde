"""``pheu scoring export|import``, ``pheu rescore`` and ``pheu backtest`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from pheu.cli import app
from pheu.demo.seed import seed

runner = CliRunner()


def test_export_edit_import_and_activate(db_url: str, tmp_path: Path) -> None:
    exported = tmp_path / "model.yaml"
    result = runner.invoke(app, ["scoring", "export", "--out", str(exported), "--db-url", db_url])
    assert result.exit_code == 0, result.output
    exported.write_text(
        exported.read_text(encoding="utf-8").replace("version: 1", "version: 3"), encoding="utf-8"
    )
    result = runner.invoke(
        app, ["scoring", "import", str(exported), "--activate", "--json", "--db-url", db_url]
    )
    assert result.exit_code == 0, result.output
    stored = json.loads(result.stdout)
    assert stored["model"] == "mac-dinh v3"
    assert stored["rescore"]["leads"] == 0
    again = runner.invoke(app, ["scoring", "export", "--db-url", db_url])
    assert again.stdout == exported.read_text(encoding="utf-8")


def test_import_lists_every_problem(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\nfit_rules:\n  - id: Sai Id\n", encoding="utf-8")
    result = runner.invoke(app, ["scoring", "import", str(bad), "--db-url", db_url, "--lang", "en"])
    assert result.exit_code == 1
    assert "problem(s)" in result.output
    assert "fit rule 'Sai Id'" in result.output


def test_import_lists_the_problems_in_vietnamese_by_default(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\nfit_rules:\n  - id: Sai Id\n", encoding="utf-8")
    result = runner.invoke(app, ["scoring", "import", str(bad), "--db-url", db_url])
    assert result.exit_code == 1
    assert "lỗi" in result.output and "Chấp nhận" in result.output
    assert "problem(s)" not in result.output and "Accepted" not in result.output


def test_rescore_json_reports_leads_and_seconds(db_url: str) -> None:
    seeded = seed(db_url, n_leads=60, now=datetime.now(UTC) - timedelta(days=1), seed=4)
    result = runner.invoke(app, ["rescore", "--json", "--db-url", db_url])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["leads"] == seeded.leads
    assert summary["seconds"] >= 0


def test_backtest_json_has_both_models_auc_and_lift(db_url: str, tmp_path: Path) -> None:
    seed(db_url, n_leads=400, now=datetime.now(UTC), seed=8)
    candidate = tmp_path / "candidate.yaml"
    exported = runner.invoke(app, ["scoring", "export", "--db-url", db_url]).stdout
    candidate.write_text(
        exported.replace("version: 1", "version: 2").replace("min_score: 40", "min_score: 30"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["backtest", str(candidate), "--json", "--db-url", db_url])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for side, label in (("active", "mac-dinh v1"), ("candidate", "mac-dinh v2")):
        assert report[side]["model"] == label
        assert 0.5 < report[side]["roc_auc"] <= 1
        assert report[side]["top_decile_lift"] > 1
        assert sum(report[side]["mql_per_month"].values()) == report[side]["mqls"]
    assert report["candidate"]["mqls"] >= report["active"]["mqls"]
    human = runner.invoke(app, ["backtest", str(candidate), "--db-url", db_url])
    assert human.exit_code == 0, human.output
    assert "ROC-AUC" in human.output
