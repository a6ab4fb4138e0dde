"""Lead list API latency at 100,000 leads and ~1,000,000 events, on SQLite and PostgreSQL.

Seeds a fresh database with the demo generator, starts the real app under uvicorn on a loopback port, and
times sequential requests from a separate client: a filter, a sort, a text search, and all three together.
Prints p50/p95 per query shape as a table and JSON.

    uv run python bench/list_api.py --leads 100000 --db both
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import uvicorn
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from pheu.db import unit_of_work, upgrade
from pheu.demo.seed import seed
from pheu.services import users
from pheu.store import Event, Lead
from pheu.web.app import create_app

PG_ADMIN = os.environ.get("PHEU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

QUERIES: dict[str, dict[str, Any]] = {
    "filter (stage=mql, channel=facebook_ads)": {"stage": "mql", "channel": "facebook_ads"},
    "sort (-score)": {"sort": "-score"},
    "text search (q=nguyen van)": {"q": "nguyen van"},
    "rare text search (q=tran thi thu)": {"q": "tran thi thu"},
    "filter + sort + search": {"channel": "facebook_ads", "sort": "-score", "q": "nguyen"},
    "page 5 via cursor (filter + sort)": {"channel": "google_ads", "sort": "name", "_pages": 5},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(kind: str, n_leads: int, workdir: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "pheu_bench" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "pheu_bench"'))
        admin.dispose()
        url = make_url(PG_ADMIN).set(database="pheu_bench").render_as_string(hide_password=False)
    upgrade(url)
    started = time.perf_counter()
    seed(url, n_leads=n_leads, seed=7)
    print(f"[{kind}] seeded in {time.perf_counter() - started:.1f}s")
    if kind == "postgresql":
        with create_engine(url).begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with create_engine(url).begin() as conn:
            conn.execute(text("ANALYZE"))
    return url


def api_key(url: str) -> str:
    with unit_of_work(url) as session:
        return users.create_api_key(
            session, user_email="admin@pheu.local", name="bench", scopes=["leads:read"], now=datetime.now(UTC)
        ).token


def run_server(url: str, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def measure(base: str, token: str, repeats: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for name, params in QUERIES.items():
            params = dict(params)
            pages = int(params.pop("_pages", 1))
            timings = []
            for i in range(repeats + 3):
                cursor = None
                for _ in range(pages):
                    query = dict(params, **({"cursor": cursor} if cursor else {}))
                    t0 = time.perf_counter()
                    r = client.get("/api/v1/leads", params=query)
                    elapsed = (time.perf_counter() - t0) * 1000
                    r.raise_for_status()
                    cursor = r.json()["next_cursor"]
                if i >= 3:  # the first requests warm caches
                    timings.append(elapsed)
            timings.sort()
            results[name] = {
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
                "rows": len(r.json()["items"]),
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            url = prepare(kind, args.leads, Path(tmp))
            with unit_of_work(url) as session:
                counts = {
                    "leads": session.scalar(select(func.count()).select_from(Lead)),
                    "events": session.scalar(select(func.count()).select_from(Event)),
                }
            port = free_port()
            server = run_server(url, port)
            try:
                report[kind] = {
                    "counts": counts,
                    "queries": measure(f"http://127.0.0.1:{port}", api_key(url), args.repeats),
                }
            finally:
                server.should_exit = True
                time.sleep(0.5)
    for kind, data in report.items():
        print(f"\n{kind}: {data['counts']['leads']:,} leads, {data['counts']['events']:,} events")
        print(f"  {'query':45} {'p50 ms':>8} {'p95 ms':>8} {'rows':>5}")
        for name, r in data["queries"].items():
            print(f"  {name:45} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['rows']:5d}")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
