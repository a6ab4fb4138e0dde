"""``pheu handoff tick``: the hand-off background work for cron — retry leads waiting for a rep, escalate
breached first-contact deadlines, send notification mail. The web app runs the same tick in its own loop."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from pheu.config import get_settings
from pheu.services import speed_to_lead
from pheu.web.handoff_labels import notice_text

handoff_app = typer.Typer(help="Hand-off to sales: the background tick.", no_args_is_help=True)
console = Console()


@handoff_app.command("tick")
def tick(
    db_url: Annotated[
        str | None, typer.Option("--db-url", help="Database URL (default: PHEU_DATABASE_URL).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Run one tick now (safe to run from several machines at once)."""
    settings = get_settings()
    summary = speed_to_lead.tick(db_url or settings.database_url, settings, datetime.now(UTC), notice_text)
    if as_json:
        console.print_json(json.dumps(summary.as_json()))
    else:
        console.print(
            f"Assigned {summary.assigned} waiting leads, escalated {summary.escalated} breaches, "
            f"sent {summary.emailed} emails."
        )
