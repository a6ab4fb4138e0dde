"""Import of a dirty lead CSV against a raw COPY of the same file, on PostgreSQL (and SQLite for reference).

Generates the file with bench/dirty_csv.py if missing, imports it into a fresh database in a child process
(so peak memory is the import's own: the larger resident size of the child and of its reader process), and
times `COPY … FROM STDIN` of the same file into a bare table.

    uv run python bench/import_csv.py --rows 1000000 --db postgresql
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN = os.environ.get("PHEU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HERE = Path(__file__).parent

CHILD = """
import json, sys, time
from datetime import UTC, datetime
from pathlib import Path
from pheu.capture import imports
url, path = sys.argv[1], Path(sys.argv[2])
t0 = time.perf_counter()
import_id = imports.start(url, path, imports.ImportOptions(channel="seo"), datetime.now(UTC))
summary = imports.run(url, import_id, path)
print(json.dumps({**summary.as_dict(), "seconds": time.perf_counter() - t0}))
"""


def fresh(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        path = workdir / "import-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "pheu_bench_import" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "pheu_bench_import"'))
        admin.dispose()
        url = make_url(PG_ADMIN).set(database="pheu_bench_import").render_as_string(hide_password=False)
    from pheu.db import unit_of_work, upgrade
    from pheu.store import Channel

    upgrade(url)
    with unit_of_work(url) as session:
        for code in ("seo", "import", "facebook_ads", "google_ads", "zalo"):
            session.add(Channel(code=code, name=code, paid=False, low_quality=code == "import"))
    return url


def copy_baseline(url: str, csv_path: Path) -> float:
    """Seconds for PostgreSQL's COPY of the same file into a bare table of text columns."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS copy_bare")
        conn.execute(
            "CREATE TABLE copy_bare (a text, b text, c text, d text, e text, f text, g text, h text)"
        )
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY copy_bare FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';', ENCODING 'UTF8')"
            ) as copy,
            csv_path.open("rb") as handle,
        ):
            handle.read(3)  # the UTF-8 BOM; COPY would keep it in the first header
            copy.write(b"")
            while block := handle.read(1 << 20):
                copy.write(block)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="postgresql")
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"))
    args = parser.parse_args()
    csv_path = args.csv or args.workdir / f"pheu-dirty-{args.rows}.csv"
    if not csv_path.exists():
        subprocess.run(
            [sys.executable, str(HERE / "dirty_csv.py"), "--rows", str(args.rows), "--out", str(csv_path)],
            check=True,
        )
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    report = {}
    for kind in kinds:
        url = fresh(kind, args.workdir)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out = subprocess.run(
            [sys.executable, "-c", CHILD, url, str(csv_path)], check=True, capture_output=True, text=True
        )
        peak_mib = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["rows_per_s"] = round(result["rows_read"] / result["seconds"])
        result["peak_mib"] = round(peak_mib)
        result["adds_up"] = result["imported"] + result["merged"] + result["rejected"] == result["rows_read"]
        if kind == "postgresql":
            copy_s = copy_baseline(url, csv_path)
            result["copy_seconds"] = round(copy_s, 2)
            result["copy_rows_per_s"] = round(args.rows / copy_s)
            result["share_of_copy"] = round(result["rows_per_s"] / result["copy_rows_per_s"], 3)
        result["seconds"] = round(result["seconds"], 1)
        report[kind] = result
        print(kind, json.dumps(result), flush=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
