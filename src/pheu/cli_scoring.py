"""``pheu scoring export|import|list``, ``pheu rescore`` and ``pheu backtest``: CLI shells over the scoring
services. The operator at the command line acts as the installation itself (no role applies)."""

from __future__ import annotations

import json
import math
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from pheu.config import get_settings

scoring_app = typer.Typer(help="Scoring models: export, edit, import.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DbUrl = Annotated[str | None, typer.Option("--db-url", help="Database URL (default: PHEU_DATABASE_URL).")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON")]


def _url(db_url: str | None) -> str:
    return db_url or get_settings().database_url


def _now() -> datetime:
    return datetime.now(UTC)


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]Error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"Cannot read {file}: {exc}") from exc


@scoring_app.command("export")
def export(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of the screen")
    ] = None,
    model_id: Annotated[
        int | None, typer.Option("--id", help="A stored version (default: the active one)")
    ] = None,
    db_url: DbUrl = None,
) -> None:
    """Write the active scoring model as YAML (the built-in default when none is stored yet), to edit and
    import again as a new version."""
    from pheu.db import unit_of_work
    from pheu.services import scoring
    from pheu.services.errors import ServiceError

    try:
        with unit_of_work(_url(db_url)) as session:
            text = scoring.export_model(session, model_id)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    if out is None:
        print(text, end="")
        return
    out.write_text(text, encoding="utf-8")
    err.print(f"[green]Wrote[/] {out}")


@scoring_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Model YAML")],
    activate: Annotated[
        bool, typer.Option("--activate", help="Make it the active model and rescore")
    ] = False,
    rescore: Annotated[bool, typer.Option("--rescore/--no-rescore", help="Rescore after activating")] = True,
    json_output: Json = False,
    db_url: DbUrl = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="vi or en for the problems (default: PHEU_DEFAULT_LOCALE)")
    ] = None,
) -> None:
    """Store a model version from YAML; every problem is listed with its rule and setting."""
    from pheu.services import scoring_bulk
    from pheu.services.errors import ServiceError

    language = _language(lang)
    try:
        result = scoring_bulk.import_and_activate(
            _url(db_url), None, _read(file), _now(), activate_it=activate, rescore_leads=rescore
        )
    except ServiceError as exc:
        raise _fail(_problems(exc, language)) from exc
    summary = result.rescore.as_json() if result.rescore else None
    if json_output:
        print(
            json.dumps({"id": result.model_id, "model": result.label, "active": activate, "rescore": summary})
        )
        return
    console.print(
        f"[green]Stored[/] {result.label} (id {result.model_id}){' and activated it' if activate else ''}."
    )
    if summary:
        console.print(
            f"Rescored {summary['leads']:,} leads in {summary['seconds']:.1f} s; {summary['moved']:,} moved."
        )


def _language(asked: str | None) -> str:
    """Vietnamese unless English is asked for, here or as the deployment's default."""
    return "en" if (asked or get_settings().default_locale) == "en" else "vi"


def _problems(exc: Any, lang: str) -> str:
    """The model's problems, each as one sentence in ``lang`` (where, the setting, what is wrong, what would
    be accepted)."""
    problems = getattr(exc, "problems", None)
    if not problems:
        return str(exc.message)
    head = (
        f"mô hình có {len(problems)} lỗi:" if lang == "vi" else f"the model has {len(problems)} problem(s):"
    )
    return head + "\n" + "\n".join(f"  - {_line(p, lang)}" for p in problems)


def _line(problem: Any, lang: str) -> str:
    return problem.line(lang) if hasattr(problem, "line") else str(problem)


@scoring_app.command("list")
def list_(json_output: Json = False, db_url: DbUrl = None) -> None:
    """Stored versions, newest first."""
    from pheu.db import unit_of_work
    from pheu.services import scoring

    with unit_of_work(_url(db_url)) as session:
        rows = [
            {"id": r.id, "model": r.label, "active": r.active, "created_at": r.created_at.isoformat()}
            for r in scoring.list_models(session)
        ]
    if json_output:
        print(json.dumps(rows))
        return
    if not rows:
        console.print("No model stored yet: the built-in default is in use ([bold]pheu scoring export[/]).")
        return
    table = Table(title="Scoring models")
    for column in ("#", "Model", "Active", "Created"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["id"]), str(r["model"]), "✔" if r["active"] else "", str(r["created_at"])[:16])
    console.print(table)


def rescore(json_output: Json = False, db_url: DbUrl = None) -> None:
    """Score every lead with the active model set-wise and make the stage moves that now qualify.
    ``--json`` prints {"leads": n, "seconds": s, "moved": m, "model": label}."""
    from pheu.services import scoring_bulk

    with err.status("Rescoring…", spinner="dots") if not json_output else nullcontext():
        summary = scoring_bulk.rescore_all(_url(db_url), _now())
    if json_output:
        print(json.dumps(summary.as_json()))
        return
    console.print(
        f"[green]Rescored[/] {summary.leads:,} leads with {summary.model} in {summary.seconds:.1f} s; "
        f"the model moved {summary.moved:,} to a new stage."
    )


def backtest(
    model: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Candidate YAML")],
    json_output: Json = False,
    db_url: DbUrl = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="vi or en for the problems (default: PHEU_DEFAULT_LOCALE)")
    ] = None,
) -> None:
    """Replay every lead's history with a candidate model, side by side with the active one."""
    from pheu.services import scoring_backtest
    from pheu.services.errors import ServiceError

    try:
        with err.status("Replaying history…", spinner="dots") if not json_output else nullcontext():
            report = scoring_backtest.backtest(_url(db_url), _read(model), _now())
    except ServiceError as exc:
        raise _fail(_problems(exc, _language(lang))) from exc
    result = report.as_json()
    if json_output:
        print(json.dumps(result, ensure_ascii=False))
        return
    table = Table(title=f"Backtest over {report.leads:,} leads ({report.seconds:.1f} s)")
    table.add_column("")
    table.add_column(f"Active: {result['active']['model']}", justify="right")
    table.add_column(f"Candidate: {result['candidate']['model']}", justify="right")
    for key, label, kind in _ROWS:
        table.add_row(label, *(_cell(result[side][key], kind) for side in ("active", "candidate")))
    for month in result["months"]:
        table.add_row(
            f"MQL / SQL {month}",
            *(
                f"{result[s]['mql_per_month'].get(month, 0):,} / {result[s]['sql_per_month'].get(month, 0):,}"
                for s in ("active", "candidate")
            ),
        )
    console.print(table)


_ROWS = (
    ("roc_auc", "ROC-AUC", "ratio"),
    ("top_decile_lift", "Top-decile lift", "times"),
    ("mqls", "MQLs", "count"),
    ("sqls", "SQLs", "count"),
    ("mql_to_sql", "MQL → SQL", "percent"),
    ("sql_to_customer", "SQL → customer", "percent"),
)


def _cell(value: float | int | None, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind == "percent":
        return f"{value:.1%}"
    if kind == "count":
        return f"{int(value):,}"
    return f"{value:.3f}" if kind == "ratio" else f"{value:.2f}×"
