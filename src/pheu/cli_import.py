"""``pheu import FILE``: the CLI shell over ``pheu.capture.imports``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from pheu.config import get_settings

console = Console()
err = Console(stderr=True)


def _overrides(pairs: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for pair in pairs:
        header, sep, target = pair.partition("=")
        if not sep:
            raise typer.BadParameter(
                f"'{pair}' should look like 'Column header=field' (empty field ignores it)."
            )
        out[header.strip()] = target.strip() or None
    return out


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or .xlsx")],
    channel: Annotated[str | None, typer.Option(help="Channel code for rows that name none")] = None,
    bought_list: Annotated[bool, typer.Option("--bought-list", help="A bought or third-party list")] = False,
    provenance: Annotated[
        str, typer.Option(help="Where the data came from (required for bought lists)")
    ] = "",
    map_: Annotated[list[str] | None, typer.Option("--map", help="Override a column: 'Header=field'")] = None,
    rejected_file: Annotated[Path | None, typer.Option(help="Where to write rejected rows")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
    db_url: Annotated[str | None, typer.Option("--db-url", help="Database URL")] = None,
) -> None:
    """Import leads from a CSV or Excel file; running it again on the same file resumes an unfinished import."""
    from pheu.capture import imports
    from pheu.capture.files import FileNotReadable
    from pheu.services.errors import ServiceError

    url = db_url or get_settings().database_url
    options = imports.ImportOptions(
        channel=channel, bought_list=bought_list, provenance=provenance, overrides=_overrides(map_ or [])
    )
    try:
        import_id = imports.start(url, file, options, datetime.now(UTC))
        with Progress(
            TextColumn("[bold]Import[/] {task.fields[counts]}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=json_output,
            transient=True,
        ) as bar:
            task = bar.add_task("import", total=file.stat().st_size, counts="")

            def report(done: int, total: int, s: imports.ImportSummary) -> None:
                counts = f"{s.imported:,} new · {s.merged:,} merged · {s.rejected:,} rejected"
                bar.update(task, completed=done, total=total, counts=counts)

            summary = imports.run(url, import_id, file, progress=report)
    except (ServiceError, FileNotReadable) as exc:
        err.print(f"[bold red]Error:[/] {getattr(exc, 'message', exc)}")
        raise typer.Exit(1) from exc
    target = rejected_file or file.with_name(f"{file.stem}.rejected.csv")
    written = imports.write_rejected(url, import_id, target) if summary.rejected else 0
    result = {
        "imported": summary.imported,
        "merged": summary.merged,
        "rejected": summary.rejected,
        "rejected_file": str(target) if written else None,
        "rows_read": summary.rows_read,
        "import_id": import_id,
    }
    if json_output:
        print(json.dumps(result))
        return
    console.print(
        f"[green]Import #{import_id} done:[/] {summary.rows_read:,} rows read → {summary.imported:,} new leads, "
        f"{summary.merged:,} merged into known people, {summary.rejected:,} rejected."
    )
    if written:
        console.print(
            f"Rejected rows with their reasons: [bold]{target}[/] (fix them and import that file again)."
        )
