"""The call queue page for a rep with 2,000 open tasks: p95 of ``GET /queue`` through the real HTTP server.

Seeds a fresh database: 11 reps, each with 2,000 leads and 2,000 open call tasks due between 8 hours ago and
8 hours ahead (the measured rep's neighbours make the tasks table 22,000 rows, so the owner index matters),
plus 10,000 done tasks. Starts the app under uvicorn on a loopback port, logs in through the login form, and
times sequential page loads from a separate HTTP client after 3 warm-up requests.

    uv run python bench/queue_page.py --db both --tasks 2000 --repeats 100
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import uvicorn
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from pheu.auth.roles import Role
from pheu.db import unit_of_work, upgrade
from pheu.services import users
from pheu.store import Task
from pheu.store.leads import LEAD_SCORES, LEADS, SCORE_COLUMNS
from pheu.web.app import create_app

PG_ADMIN = os.environ.get("PHEU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password"
REPS = 11


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'queue.db'}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "pheu_bench_queue" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "pheu_bench_queue"'))
    admin.dispose()
    return make_url(PG_ADMIN).set(database="pheu_bench_queue").render_as_string(hide_password=False)


def seed(url: str, per_rep: int) -> None:
    upgrade(url)
    now = datetime.now(UTC)
    with unit_of_work(url) as session:
        ids = [
            users.add_user(
                session, email=f"rep{i}@bench.vn", name=f"Nhân viên {i}", password=PASSWORD,
                role=Role.SALES_REP, now=now,
            ).id
            for i in range(REPS)
        ]  # fmt: skip
    engine = create_engine(url)
    with engine.begin() as conn:
        next_id = 1
        for rep in ids:
            leads = [
                {
                    "id": next_id + j,
                    "kind": "sales",
                    "stage": "sql",
                    "full_name": f"Khách {rep}-{j}",
                    "phone": f"+8491{rep:02d}{j:05d}",
                    "email": f"k{rep}.{j}@example.vn",
                    "owner_id": rep,
                    "score": (j * 37) % 100,
                    "temperature": "hot",
                    "country": "VN",
                    "interests": [],
                    "flags": [],
                    "search_key": "",
                    "name_key": "",
                    "assigned_at": now - timedelta(minutes=j % 600),
                    "created_at": now - timedelta(days=1),
                    "updated_at": now,
                    "stage_changed_at": now,
                }
                for j in range(per_rep)
            ]
            conn.execute(
                insert(LEADS), [{k: v for k, v in r.items() if k not in SCORE_COLUMNS} for r in leads]
            )
            conn.execute(
                insert(LEAD_SCORES),
                [{"lead_id": r["id"], "score": r["score"], "temperature": r["temperature"]} for r in leads],
            )
            tasks = [
                {
                    "lead_id": next_id + j,
                    "owner_id": rep,
                    "kind": "call",
                    "title": "Gọi lần đầu",
                    "due_at": now + timedelta(minutes=(j * 7919) % 960 - 930),
                    "status": "open",
                    "first_contact": j % 3 == 0,
                    "created_at": now - timedelta(hours=1),
                }
                for j in range(per_rep)
            ]
            done = [
                dict(t, status="done", due_at=now - timedelta(days=2), completed_at=now - timedelta(days=1))
                for t in tasks[: 10_000 // REPS]
            ]
            conn.execute(insert(Task), tasks + done)
            next_id += per_rep
        if url.startswith("postgresql"):
            conn.execute(text("SELECT setval('leads_id_seq', (SELECT max(id) FROM leads))"))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def run_server(url: str, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def measure(base: str, repeats: int) -> dict[str, float]:
    with httpx.Client(base_url=base, timeout=30) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        r = client.post(
            "/login", data={"email": "rep0@bench.vn", "password": PASSWORD, "csrf_token": token[1]}
        )
        assert r.status_code == 303, r.text
        timings = []
        for i in range(repeats + 3):
            t0 = time.perf_counter()
            page = client.get("/queue")
            elapsed = (time.perf_counter() - t0) * 1000
            page.raise_for_status()
            if i >= 3:
                timings.append(elapsed)
        total = re.search(r'id="queue-total">([^<]+)<', page.text)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "queue_total": float((total[1] if total else "0").replace(".", "").replace(",", "")),
        "bytes": float(len(page.content)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--tasks", type=int, default=2000, help="open tasks per rep")
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            url = prepare(kind, Path(tmp))
            started = time.perf_counter()
            seed(url, args.tasks)
            print(f"[{kind}] seeded in {time.perf_counter() - started:.1f}s")
            port = free_port()
            server = run_server(url, port)
            try:
                results[kind] = measure(f"http://127.0.0.1:{port}", args.repeats)
            finally:
                server.should_exit = True
            print(f"[{kind}] {json.dumps(results[kind])}")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
