"""Scoring figures of issue 4, on PostgreSQL and SQLite:

- ``pheu rescore`` of N leads with M events after a model change (goal: 1,000,000 × 10,000,000 under 30 s);
- one incoming event to its updated score and stage, in-process (goal: p99 under 5 ms);
- ``pheu backtest`` over 100,000 historical leads (goal: under 60 s).

The rescore database is synthesised inside the database itself (``generate_series`` on PostgreSQL, a
recursive CTE on SQLite: no rows cross the wire), with the demo's vocabulary for the fit columns, a year of
events drawn with the demo's type mix, property-bearing webinar and call events, consents for 60 % of the
leads; seeding is timed apart. The backtest runs on the demo generator's realistic pipeline instead
(customers, stage histories), since a backtest on random outcomes would measure nothing but speed.

    uv run python bench/scoring.py --leads 1000000 --events 10000000 --db both
    uv run python bench/scoring.py --skip-rescore --backtest-leads 100000 --db both
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from pheu.auth.roles import Principal, Role
from pheu.db import get_engine, unit_of_work, upgrade
from pheu.demo.seed import seed
from pheu.score import default_model, to_yaml
from pheu.services import events, scoring
from pheu.services.schemas import EventIn
from pheu.store import Lead

PG_ADMIN = os.environ.get("PHEU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# (type, weight per 1000), as pheu.score.benchmark draws them.
TYPES = (
    ("page_view", 300), ("email_open", 250), ("email_click", 90), ("pricing_page_view", 80), ("form_submit", 60),
    ("reply", 50), ("call", 50), ("download", 40), ("webinar_attend", 20), ("meeting", 20), ("coupon_redeem", 10),
    ("event_attend", 10), ("unsubscribe", 10), ("bounce", 10),
)  # fmt: skip
TITLES = ("Giám đốc", "Chủ doanh nghiệp", "Trưởng phòng Marketing", "Nhân viên kinh doanh", "Sinh viên", None)
SIZES = ("1-9", "10-49", "50-199", "200-499", "500+", None)
INDUSTRIES = ("Bán lẻ", "F&B", "Giáo dục", "Spa & Làm đẹp", "Sản xuất", "Công nghệ", None)
PROVINCES = ("TP. Hồ Chí Minh", "Hà Nội", "Đà Nẵng", "Cần Thơ", "Huế", "Lạng Sơn")


def fresh(kind: str, name: str, workdir: Path) -> str:
    if kind == "sqlite":
        (workdir / f"{name}.db").unlink(missing_ok=True)
        url = f"sqlite:///{workdir / f'{name}.db'}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def _pick(values: tuple[str | None, ...], expr: str) -> str:
    """A CASE choosing one of ``values`` by ``expr`` modulo their count (portable SQL)."""
    arms = " ".join(f"WHEN {i} THEN {'NULL' if v is None else repr(v)}" for i, v in enumerate(values))
    return f"(CASE ({expr}) % {len(values)} {arms} END)"


def synthesise(url: str, n_leads: int, n_events: int, end: datetime) -> float:
    """Leads, events, creation records and consents written by the database itself; seconds taken."""
    pg = url.startswith("postgresql")

    def rnd(n: int) -> str:
        return f"floor(random() * {n})::bigint" if pg else f"(abs(random()) % {n})"

    stamp = end.strftime("%Y-%m-%d %H:%M:%S")

    def series(n: int) -> tuple[str, str]:
        if pg:
            return "", f"generate_series(1, {n}) AS g(i)"
        return f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) ", "g"

    def ago(seconds: str) -> str:
        if pg:
            return f"(TIMESTAMP '{stamp}' - make_interval(secs => {seconds}))"
        return f"(strftime('%Y-%m-%d %H:%M:%S', '{stamp}', '-' || ({seconds}) || ' seconds') || '.000000')"

    started = time.perf_counter()
    head, rows = series(n_leads)
    created = ago("(i % 365) * 86400 + 3600")
    recruit = "i % 40 = 0"
    flags = "CASE WHEN i % 50 = 0 THEN '[\"bought_list\"]' ELSE '[]' END"
    empty, flags = ("CAST('[]' AS jsonb)", f"CAST({flags} AS jsonb)") if pg else ("'[]'", flags)
    leads = (
        f"{head}INSERT INTO leads (id, kind, stage, full_name, email, phone, job_title, company, industry, "
        "company_size, country, province, interests, flags, search_key, name_key, created_at, updated_at, "
        "stage_changed_at) SELECT i, "
        f"CASE WHEN {recruit} THEN 'recruitment' ELSE 'sales' END, CASE WHEN {recruit} THEN 'applicant' ELSE 'iql' END, "
        "'Khách ' || i, 'khach' || i || '@gmail.com', CASE WHEN i % 10 < 7 THEN '+849' || (10000000 + i) END, "
        f"{_pick(TITLES, 'i / 3')}, CASE WHEN i % 2 = 0 THEN 'Công ty ' || (i % 5000) END, "
        f"{_pick(INDUSTRIES, 'i / 7')}, {_pick(SIZES, 'i / 5')}, 'VN', {_pick(PROVINCES, 'i / 11')}, "
        f"{empty}, {flags}, 'khach ' || i, 'khach ' || i, "
        f"{created}, {created}, {created} FROM {rows}"
    )
    scores = "INSERT INTO lead_scores (lead_id, score) SELECT id, 0 FROM leads"
    changes = (
        f"{head}INSERT INTO stage_changes (lead_id, from_stage, to_stage, at, actor_type, actor_label, reason) "
        f"SELECT i, NULL, CASE WHEN {recruit} THEN 'applicant' ELSE 'iql' END, {created}, 'import', 'bench', 'captured' "
        f"FROM {rows}"
    )
    consents = (
        f"{head}INSERT INTO consents (lead_id, purpose, granted, at, source) "
        f"SELECT i, 'email_marketing', {'true' if pg else '1'}, {created}, 'bench' FROM {rows} WHERE i % 5 < 3"
    )
    cuts, total = [], 0
    for kind, weight in TYPES:
        total += weight
        cuts.append(f"WHEN r < {total} THEN '{kind}'")
    head_e, rows_e = series(n_events)
    props = (
        "CASE WHEN t = 'webinar_attend' THEN '{\"minutes\": ' || (r % 90) || '}' "
        "WHEN t = 'call' THEN CASE WHEN r % 2 = 0 THEN '{\"outcome\": \"Đã nghe máy\"}' "
        "ELSE '{\"outcome\": \"Không nghe máy\"}' END ELSE '{}' END"
    )
    events_sql = (
        f"{head_e}INSERT INTO events (lead_id, type, occurred_at, properties, source, created_at) "
        f"SELECT lead_id, t, {ago('s')}, {f'CAST({props} AS jsonb)' if pg else props}, 'bench', '{stamp}' FROM ("
        f"SELECT lead_id, r, s, CASE {' '.join(cuts)} END AS t FROM ("
        f"SELECT 1 + {rnd(n_leads)} AS lead_id, {rnd(1000)} AS r, {rnd(365 * 86400)} AS s FROM {rows_e}) x) y"
    )
    engine = get_engine(url)
    with engine.begin() as conn:
        for statement in (leads, scores, changes, consents, events_sql):
            conn.execute(text(statement))
        if pg:
            for table in ("leads", "stage_changes", "consents", "events"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return time.perf_counter() - started


def store_model(url: str, end: datetime) -> None:
    """Store the default model, then, as "a model change", activate a version 2 that gives page views and
    email opens (the commonest touches) one more point and asks 5 more points for each stage: nearly every
    lead's score changes."""
    base = default_model()
    more = {"xem-trang": 2.0, "mo-email": 3.0}
    changed = replace(
        base,
        version=2,
        behaviour_rules=tuple(
            replace(r, points=more[r.id], cap=r.cap and r.cap * more[r.id] / r.points) if r.id in more else r
            for r in base.behaviour_rules
        ),
        stages=tuple(replace(s, min_score=s.min_score + 5) for s in base.stages),
    )
    with unit_of_work(url) as s:
        scoring.import_model(s, None, to_yaml(base), end, activate=True)
    cli("rescore", "--json", "--db-url", url)  # every lead scored with the first model
    with unit_of_work(url) as s:
        scoring.import_model(s, None, to_yaml(changed), end, activate=True)


def cli(*args: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pheu", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout), time.perf_counter() - started


def per_event(url: str, n: int, n_leads: int, seed_: int = 0) -> dict[str, float]:
    """``add_event`` (which re-scores the lead and may move its stage) on random sales leads, one unit of work
    each: the service call alone, and with the commit; then the same split by whether the event moved its
    lead to a new stage (the lead's stage is read before and after, outside the timed part)."""
    rng = random.Random(seed_)
    who = Principal(user_id=0, name="bench", role=Role.ADMIN)
    kinds = [k for k, _ in TYPES]
    call_ms: list[float] = []
    commit_ms: list[float] = []
    moved: list[bool] = []
    for _ in range(n):
        lead_id = rng.randrange(1, n_leads + 1)
        while lead_id % 40 == 0:
            lead_id = rng.randrange(1, n_leads + 1)
        before = _stage(url, lead_id)
        now = datetime.now(UTC)
        body = EventIn(type=rng.choice(kinds), occurred_at=now - timedelta(seconds=1))
        started = time.perf_counter()
        with unit_of_work(url) as s:
            events.add_event(s, who, lead_id, body, now)
            called = time.perf_counter()
        done = time.perf_counter()
        call_ms.append((called - started) * 1000)
        commit_ms.append((done - started) * 1000)
        moved.append(_stage(url, lead_id) != before)
    still = [ms for ms, m in zip(call_ms, moved, strict=True) if not m]
    moving = [ms for ms, m in zip(call_ms, moved, strict=True) if m]
    return {
        "events": n,
        "p50_ms": round(statistics.median(call_ms), 2),
        "p99_ms": round(statistics.quantiles(call_ms, n=100)[98], 2),
        "p50_ms_with_commit": round(statistics.median(commit_ms), 2),
        "p99_ms_with_commit": round(statistics.quantiles(commit_ms, n=100)[98], 2),
        "moved_stage": len(moving),
        "no_move_p50_ms": round(statistics.median(still), 2) if still else 0.0,
        "no_move_p99_ms": round(statistics.quantiles(still, n=100)[98], 2) if len(still) > 1 else 0.0,
        "moved_p50_ms": round(statistics.median(moving), 2) if moving else 0.0,
    }


def _stage(url: str, lead_id: int) -> str:
    with unit_of_work(url) as s:
        return str(s.scalar(select(Lead.stage).where(Lead.id == lead_id)))


def warm(url: str) -> float:
    """Read the whole database once, so the operating system holds it in its page cache, as it does for a
    database in use (3.4 GB at a million leads, on a machine with 24 GB). Without this, a database seeded on
    an earlier boot answers the first read of each page from disk: on this machine's virtual disk that is
    2-7 ms, which is what the p99 of a freshly started machine measured. Seconds taken."""
    started = time.perf_counter()
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass
    else:
        with create_engine(url).begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
            conn.execute(
                text(
                    "SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
                )
            )
    return time.perf_counter() - started


def change_model(url: str, now: datetime) -> int:
    """Activate one more version that differs from the active one (page views alternate between 2 and 3
    points), so a reused database still sees "a model change"; its version number."""
    with unit_of_work(url) as s:
        current = scoring.active_model(s).model
        newest = max(int(m.version) for m in scoring.list_models(s))
        page = next(r for r in current.behaviour_rules if r.id == "xem-trang")
        points = 3.0 if page.points != 3.0 else 2.0
        changed = replace(
            current,
            version=newest + 1,
            behaviour_rules=tuple(
                replace(r, points=points, cap=r.cap and r.cap * points / r.points)
                if r.id == "xem-trang"
                else r
                for r in current.behaviour_rules
            ),
        )
        scoring.import_model(s, None, to_yaml(changed), now, activate=True)
    return newest + 1


def bench_rescore(
    kind: str,
    n_leads: int,
    n_events: int,
    n_touches: int,
    workdir: Path,
    *,
    reuse: bool,
    seed_only: bool,
    name: str = "pheu_bench_scoring",
    events_only: int | None = None,
) -> dict[str, Any]:
    end = datetime.now(UTC).replace(microsecond=0)
    seeded = 0.0
    if reuse:
        url = (
            f"sqlite:///{workdir / f'{name}.db'}"
            if kind == "sqlite"
            else make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        )
        if events_only is not None:  # no rescore: the per-event figure alone, on a settled database
            print(f"[{kind}] read the database into the page cache in {warm(url):.1f} s", flush=True)
            return {"per_event": per_event(url, n_touches, n_leads, seed_=events_only)}
        version = change_model(url, end)
        print(f"[{kind}] reusing the seeded database; activated version {version}", flush=True)
    else:
        url = fresh(kind, name, workdir)
        seeded = synthesise(url, n_leads, n_events, end)
        print(f"[{kind}] seeded {n_leads:,} leads, {n_events:,} events in {seeded:.1f} s", flush=True)
        started = time.perf_counter()
        store_model(url, end)
        print(f"[{kind}] first scoring with v1 took {time.perf_counter() - started:.1f} s", flush=True)
        if seed_only:
            return {"seed_seconds": round(seeded, 1)}
    first, first_wall = cli("rescore", "--json", "--db-url", url)
    print(f"[{kind}] pheu rescore: {first} (process {first_wall:.1f} s)", flush=True)
    second, second_wall = cli("rescore", "--json", "--db-url", url)
    print(f"[{kind}] pheu rescore again: {second} (process {second_wall:.1f} s)", flush=True)
    touches = per_event(url, n_touches, n_leads)
    print(f"[{kind}] per event: {touches}", flush=True)
    return {
        "seed_seconds": round(seeded, 1),
        "rescore": first,
        "rescore_process_seconds": round(first_wall, 1),
        "rescore_again": second,
        "per_event": touches,
    }


def bench_backtest(kind: str, n_leads: int, workdir: Path) -> dict[str, Any]:
    url = fresh(kind, "pheu_bench_backtest", workdir)
    started = time.perf_counter()
    summary = seed(url, n_leads=n_leads)
    seeded = time.perf_counter() - started
    print(
        f"[{kind}] demo seeded: {summary.leads:,} leads, {summary.events:,} events in {seeded:.1f} s",
        flush=True,
    )
    base = default_model()
    candidate = workdir / "candidate.yaml"
    candidate.write_text(
        to_yaml(
            replace(
                base, version=2, stages=tuple(replace(s, min_score=s.min_score - 10) for s in base.stages)
            )
        ),
        encoding="utf-8",
    )
    report, wall = cli("backtest", str(candidate), "--json", "--db-url", url)
    brief = {
        side: {k: report[side][k] for k in ("model", "roc_auc", "top_decile_lift", "mqls", "sqls")}
        for side in ("active", "candidate")
    }
    print(
        f"[{kind}] pheu backtest: {report['leads']:,} leads in {report['seconds']} s (process {wall:.1f} s) {brief}",
        flush=True,
    )
    return {
        "seed_seconds": round(seeded, 1),
        "events": summary.events,
        "seconds": report["seconds"],
        "process_seconds": round(wall, 1),
        **brief,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--touches", type=int, default=2000, help="events timed one by one")
    parser.add_argument("--backtest-leads", type=int, default=0)
    parser.add_argument("--skip-rescore", action="store_true")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pheu-bench-scoring"))
    parser.add_argument("--reuse", action="store_true", help="time again on an already seeded database")
    parser.add_argument("--seed-only", action="store_true", help="seed and score with v1, then stop")
    parser.add_argument(
        "--events-only",
        type=int,
        metavar="SEED",
        help="with --reuse: time only the per-event path (its random choices drawn from SEED)",
    )
    parser.add_argument(
        "--name",
        default="pheu_bench_scoring",
        help="the PostgreSQL database (and SQLite file) to seed or reuse; another name leaves a seeded one alone",
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    kinds = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            if not args.skip_rescore:
                results[f"{kind}_rescore"] = bench_rescore(
                    kind,
                    args.leads,
                    args.events,
                    args.touches,
                    args.workdir,
                    reuse=args.reuse,
                    seed_only=args.seed_only,
                    name=args.name,
                    events_only=args.events_only,
                )
            if args.backtest_leads:
                results[f"{kind}_backtest"] = bench_backtest(kind, args.backtest_leads, Path(tmp))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
