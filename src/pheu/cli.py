"""The ``pheu`` command: a thin Typer shell over the services (run ``pheu --help``)."""

from __future__ import annotations

import contextlib
import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from pheu.auth.roles import ALL_SCOPES, Role
from pheu.cli_handoff import handoff_app
from pheu.cli_import import import_file
from pheu.cli_report import report
from pheu.cli_scoring import backtest, rescore, scoring_app
from pheu.config import get_settings

app = typer.Typer(help="Phễu — lead management.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="People who log in.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for integrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
app.command("import")(import_file)
app.add_typer(scoring_app, name="scoring")
app.command("rescore")(rescore)
app.command("backtest")(backtest)
app.command("report")(report)
app.add_typer(handoff_app, name="handoff")
console = Console()
err = Console(stderr=True)

DbUrl = Annotated[str | None, typer.Option("--db-url", help="Database URL (default: PHEU_DATABASE_URL).")]


def _url(db_url: str | None) -> str:
    return db_url or get_settings().database_url


def _now() -> datetime:
    return datetime.now(UTC)


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]Error:[/] {message}")
    return typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade(db_url: DbUrl = None, revision: str = "head") -> None:
    """Bring the database schema up to date (safe to run again)."""
    from pheu.db import upgrade

    upgrade(_url(db_url), revision)
    console.print(f"[green]Database is at revision {revision}.[/]")


@user_app.command("add")
def user_add(
    email: str,
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[Role, typer.Option(help="admin, marketing, sales_manager or sales_rep")] = Role.SALES_REP,
    password: Annotated[str | None, typer.Option(help="Asked for when omitted")] = None,
    team: Annotated[str | None, typer.Option(help="Team name (created if new)")] = None,
    locale: Annotated[str, typer.Option(help="vi or en")] = "vi",
    db_url: DbUrl = None,
) -> None:
    """Add a person who can log in."""
    from pheu.db import unit_of_work
    from pheu.services import users
    from pheu.services.errors import ServiceError

    if password is None:
        password = getpass.getpass("Password: ")
    try:
        with unit_of_work(_url(db_url)) as session:
            user = users.add_user(
                session,
                email=email,
                name=name,
                password=password,
                role=role,
                now=_now(),
                team=team,
                locale=locale,
            )
            console.print(f"[green]Added[/] {user.name} <{user.email}> as {user.role} (id {user.id}).")
    except ServiceError as exc:
        raise _fail(exc.message) from exc


@apikey_app.command("create")
def apikey_create(
    user: Annotated[str, typer.Option(help="Email of the user the key acts for; their role applies")],
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'website form'")],
    scope: Annotated[list[str], typer.Option(help=f"Repeat for several: {', '.join(sorted(ALL_SCOPES))}")],
    db_url: DbUrl = None,
) -> None:
    """Issue an API key. It is printed once; only its hash is stored."""
    from pheu.db import unit_of_work
    from pheu.services import users
    from pheu.services.errors import ServiceError

    try:
        with unit_of_work(_url(db_url)) as session:
            issued = users.create_api_key(session, user_email=user, name=name, scopes=scope, now=_now())
            scopes = ", ".join(issued.key.scopes)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    console.print(f"[green]API key for {user}[/] ({scopes}). Store it now; it is not shown again:")
    console.print(issued.token, soft_wrap=True, highlight=False)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    db_url: DbUrl = None,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only)")] = 1,
) -> None:
    """Run the web app and API."""
    import uvicorn

    from pheu.web.app import served_app

    url = _url(db_url)
    if workers > 1:
        import os

        os.environ["PHEU_DATABASE_URL"] = url
        uvicorn.run("pheu.web.app:served_app", factory=True, host=host, port=port, workers=workers)
    else:
        uvicorn.run(served_app(url), host=host, port=port)


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="SQLite file (created or reused)")] = Path("pheu-demo.db"),
    port: int = 8000,
    host: str = "127.0.0.1",
    leads: Annotated[
        int, typer.Option("--leads", min=0, help="Leads to generate (its forms and import capture ~150 more)")
    ] = 5000,
    serve_app: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server after seeding")
    ] = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Start Phễu on an SQLite file filled with six months of a Vietnamese SME's leads."""
    from pheu.db import upgrade
    from pheu.demo.seed import has_leads, seed

    url = f"sqlite:///{db.resolve()}"
    upgrade(url)
    summary = None
    if has_leads(url):
        console.print(f"Reusing [bold]{db}[/]: it already holds demo data.")
    else:
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=json_output,
        ) as progress:
            task = progress.add_task("Seeding", total=1)

            def report(step: str, done: int, total: int) -> None:
                progress.update(task, description=step, completed=done, total=total)

            summary = seed(url, n_leads=leads, progress=report)
    base = f"http://{host}:{port}"
    if json_output:
        payload = {
            "url": base,
            "db": str(db),
            "login": {"email": "admin@pheu.local", "password": "pheu-admin"},
        }
        if summary is not None:
            payload["counts"] = summary.counts
        console.print_json(json.dumps(payload))
    else:
        if summary is not None:
            console.print(
                "[green]Demo data ready:[/] " + ", ".join(f"{v:,} {k}" for k, v in summary.counts.items())
            )
        console.print(f"\n  Phễu is at [bold link={base}]{base}[/]   (API docs: {base}/docs)")
        console.print("  Log in as [bold]admin@pheu.local[/] / [bold]pheu-admin[/]")
        console.print("  Others (password pheu-demo): marketing@, manager@, rep1@, rep2@, rep3@pheu.local\n")
    if serve_app:
        import uvicorn

        from pheu.web.app import served_app

        uvicorn.run(served_app(url), host=host, port=port, log_level="warning")


webhooks_app = typer.Typer(help="Ads lead webhooks (Facebook, TikTok, Zalo).", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command("retry")
def webhooks_retry(
    json_output: Annotated[bool, typer.Option("--json", help="Print the counts as JSON")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Process at most this many payloads")] = None,
    db_url: DbUrl = None,
) -> None:
    """Process again the webhook payloads still pending or failed (tried fewer than 10 times), oldest
    first. Safe to run any time, e.g. from cron: a lead already landed is counted as a duplicate."""
    from pheu.capture import webhooks

    summary = webhooks.process_pending(
        _url(db_url), _now(), webhooks.graph_fetcher(get_settings()), limit=limit
    )
    if json_output:
        console.print_json(json.dumps(summary.as_json()))
        return
    from rich.table import Table

    table = Table(title="Webhook payloads retried")
    for column in ("Processed", "Failed", "Leads created", "Duplicates"):
        table.add_column(column, justify="right")
    counts = summary.as_json()
    table.add_row(*(f"{counts[k]:,}" for k in ("processed", "failed", "leads_created", "duplicates")))
    console.print(table)
    for result in summary.results:
        if result.status == "failed":
            console.print(f"[red]#{result.payload_id}[/] {result.error}", highlight=False)


forms_app = typer.Typer(help="Web forms: the submissions queued by pheu serve.", no_args_is_help=True)
app.add_typer(forms_app, name="forms")


@forms_app.command("land")
def forms_land(
    retry: Annotated[
        bool, typer.Option("--retry", help="Also try again those that failed (at most 3 tries each)")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the counts as JSON")] = False,
    db_url: DbUrl = None,
) -> None:
    """Land the form submissions still queued, oldest first. ``pheu serve`` lands them by itself within
    moments; this is for a server that was stopped with some waiting, or to retry the failed ones."""
    from pheu.services import form_lander

    summary = form_lander.drain(_url(db_url), retry_failed=retry)
    if json_output:
        console.print_json(json.dumps({"landed": summary.landed, "failed": summary.failed}))
    else:
        console.print(f"Landed {summary.landed:,} queued form submissions; {summary.failed:,} failed.")


@webhooks_app.command("list")
def webhooks_list(
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first")] = 20,
    status: Annotated[str | None, typer.Option(help="pending, processed or failed")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print as JSON")] = False,
    db_url: DbUrl = None,
) -> None:
    """Show the newest webhook payloads with their status and, when they failed, why."""
    from pheu.capture import webhooks
    from pheu.web.format import local_zone

    payloads = webhooks.recent_payloads(_url(db_url), limit=limit, status=status)
    if json_output:
        rows = [
            {
                "id": p.id,
                "provider": p.provider,
                "received_at": p.received_at.isoformat(),
                "status": p.status,
                "attempts": p.attempts,
                "error": p.error,
                "processed_at": p.processed_at.isoformat() if p.processed_at else None,
            }
            for p in payloads
        ]
        console.print_json(json.dumps(rows))
        return
    if not payloads:
        console.print("No webhook payloads yet.")
        return
    from rich.table import Table

    table = Table(title="Webhook payloads")
    for column in ("#", "Provider", "Received", "Status", "Attempts", "Error"):
        table.add_column(column)
    tones = {"processed": "green", "failed": "red", "pending": "yellow"}
    for p in payloads:
        table.add_row(
            str(p.id),
            p.provider,
            p.received_at.astimezone(local_zone()).strftime("%d/%m/%Y %H:%M"),
            f"[{tones.get(p.status, 'white')}]{p.status}[/]",
            str(p.attempts),
            p.error or "",
        )
    console.print(table)


duplicates_app = typer.Typer(help="Leads that look like the same person.", no_args_is_help=True)
app.add_typer(duplicates_app, name="duplicates")


@duplicates_app.command("scan")
def duplicates_scan(
    db_url: DbUrl = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the counts as JSON")] = False,
) -> None:
    """Look for likely duplicates and queue new pairs for review at /duplicates (nothing is merged)."""
    from pheu.db import unit_of_work
    from pheu.services import duplicates

    spinner = err.status("Comparing leads…", spinner="dots") if not json_output else contextlib.nullcontext()
    with spinner, unit_of_work(_url(db_url)) as session:
        result = duplicates.scan(session, _now())
    counts = {"leads": result.leads, "pairs": result.pairs, "new_pairs": result.added}
    if json_output:
        console.print_json(json.dumps(counts))
        return
    console.print(
        f"Compared [bold]{result.leads:,}[/] leads: {result.pairs:,} likely pairs, "
        f"[green]{result.added:,} new[/] to review at /duplicates."
    )


if __name__ == "__main__":
    app()
