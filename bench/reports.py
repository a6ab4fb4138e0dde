"""Report speed at 1,000,000 leads, ~3,000,000 stage moves and 10,000,000 events, on SQLite and PostgreSQL.

Seeds fresh databases with synthetic but realistically shaped data (two years of growing lead volume with
weekly rhythm, the demo's channel mix, campaigns with daily spend, owners in teams, a funnel that loses most
leads on the way, moves back to nurturing, lost and disqualified exits, ~10 touches per lead), then times
``build_report`` — the call behind the dashboard, the API and ``pheu report`` — for a 90-day range with a
channel filter, p50/p95 over ``--runs`` runs after one warm-up. Loads go through COPY on PostgreSQL and
``executemany`` on SQLite; the events' secondary indexes are built after their load.

    uv run python bench/reports.py --db both                      # seed and time (≈ 25 min on 2 cores)
    uv run python bench/reports.py --db sqlite --reuse            # time again on the seeded databases

``--reuse`` keeps a database seeded by an earlier run (migrating it to the newest revision first), so a
change to the queries or indexes can be measured without seeding again.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sqlite3
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from pheu.db import get_engine, unit_of_work, upgrade
from pheu.measure.period import Period
from pheu.services.reports import ReportFilters, build_report, report_zone

PG_ADMIN = os.environ.get("PHEU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_NAME = "pheu_bench_reports"
DAYS = 730
CHUNK = 20_000
SEED = 11

# code, name, share of leads, how well its leads convert (1 = average), paid, low quality
CHANNELS: list[tuple[str, str, float, float, bool, bool]] = [
    ("facebook_ads", "Facebook Ads", 0.30, 0.9, True, False),
    ("tiktok_ads", "TikTok Ads", 0.12, 0.65, True, False),
    ("zalo", "Zalo", 0.10, 0.95, True, False),
    ("google_ads", "Google Ads", 0.12, 1.35, True, False),
    ("seo", "SEO / Tự nhiên", 0.10, 1.15, False, False),
    ("landing_page", "Landing page", 0.06, 1.05, False, False),
    ("email", "Email", 0.05, 1.0, False, False),
    ("affiliate", "Tiếp thị liên kết", 0.04, 0.9, True, False),
    ("event", "Sự kiện", 0.04, 1.5, False, False),
    ("referral", "Giới thiệu", 0.04, 1.6, False, False),
    ("import", "Danh sách mua / nhập", 0.03, 0.35, False, True),
]
EVENT_TYPES = (
    ["page_view"] * 5 + ["email_open"] * 3 + ["email_click", "pricing_view", "download", "form_submit"]
)
TEAMS = 4
OWNERS = 32
REACHED_LEVELS = ("mql", "sql", "opportunity", "customer")  # the funnel above IQL, in order


@dataclass
class World:
    """Reference rows and the draws every lead needs."""

    now: datetime
    start: datetime
    campaigns: dict[int, list[int]] = field(default_factory=dict)  # channel id -> campaign ids
    cum_days: list[float] = field(default_factory=list)


def stamp(at: datetime) -> str:
    """Naive UTC text both databases read as a timestamp (SQLAlchemy's own SQLite format)."""
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


# --- data -----------------------------------------------------------------------------------------------


def reference(now: datetime, rng: random.Random) -> tuple[World, dict[str, list[tuple[Any, ...]]]]:
    start = now - timedelta(days=DAYS)
    world = World(now=now, start=start)
    created = stamp(start)
    rows: dict[str, list[tuple[Any, ...]]] = {"channels": [], "campaigns": [], "campaign_costs": []}
    rows["teams"] = [(t, f"Kinh doanh {t}", created) for t in range(1, TEAMS + 1)]
    rows["users"] = [
        (u, f"sale{u}@bench.vn", f"Nhân viên {u}", "x", "sales_rep", "vi", True, created, 1 + u % TEAMS)
        for u in range(1, OWNERS + 1)
    ]
    campaign_id = cost_id = 0
    for channel_id, (code, name, _share, _q, paid, low) in enumerate(CHANNELS, start=1):
        rows["channels"].append((channel_id, code, name, paid, low))
        world.campaigns[channel_id] = []
        if not paid:
            continue
        for n in range(24):  # a campaign a month per paid channel, each ~6 weeks long
            campaign_id += 1
            first = (start + timedelta(days=n * 30)).date()
            last = first + timedelta(days=44)
            rows["campaigns"].append(
                (
                    campaign_id,
                    f"{name} – đợt {n + 1}",
                    channel_id,
                    f"{code}-{n + 1}",
                    first,
                    last,
                    "VND",
                    created,
                )
            )
            world.campaigns[channel_id].append(campaign_id)
            day = first
            while day <= min(last, now.date()):
                cost_id += 1
                amount = rng.randint(5, 60) * 100_000
                rows["campaign_costs"].append((cost_id, campaign_id, day, amount, "VND"))
                day += timedelta(days=1)
    weights = [
        (1 + 1.5 * d / DAYS) * (0.6 if (start + timedelta(days=d)).weekday() >= 5 else 1.0)
        for d in range(DAYS)
    ]
    total, running = sum(weights), 0.0
    for w in weights:
        running += w / total
        world.cum_days.append(running)
    return world, rows


def _path(
    created: datetime, quality: float, rng: random.Random, now: datetime
) -> list[tuple[str, str, datetime]]:
    """(from, to, at) moves after creation: a funnel losing most leads, with recycling and side exits."""
    moves: list[tuple[str, str, datetime]] = []
    at, stage = created, "iql"

    def go(to: str, mean_days: float) -> bool:
        nonlocal at, stage
        at = at + timedelta(days=rng.expovariate(1 / mean_days))
        if at >= now:
            return False
        moves.append((stage, to, at))
        stage = to
        return True

    levels = (("mql", 0.72 * quality, 3.0), ("sql", 0.5 * quality, 6.0), ("opportunity", 0.5, 8.0),
              ("customer", 0.4, 15.0))  # fmt: skip
    i = 0
    while i < len(levels):
        to, p, mean = levels[i]
        if rng.random() >= min(p, 0.95):
            if rng.random() < (0.6 if i else 0.3):
                go("lost" if rng.random() < 0.8 else "disqualified", 10)
                if stage == "lost" and rng.random() < 0.25:
                    go("mql", 30)  # recycled to nurturing
            return moves
        if i == 0 and rng.random() < 0.06:  # a demo request: straight to SQL
            to, i = "sql", 1
        elif i == 1 and rng.random() < 0.15 and not (go("sql", mean) and go("mql", 5)):
            return moves  # went back to nurturing (and on again below, unless time ran out)
        if not go(to, mean):
            return moves
        i += 1
    return moves


def leads(
    world: World, n: int, events_per_lead: float, rng: random.Random
) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """Chunks of rows: leads, stage changes (the creation's included) and events, numbered from 1."""
    shares = [c[2] for c in CHANNELS]
    change_id = event_id = 0
    for first in range(1, n + 1, CHUNK):
        out: dict[str, list[tuple[Any, ...]]] = {
            "leads": [],
            "lead_scores": [],
            "stage_changes": [],
            "events": [],
        }
        for lead_id in range(first, min(first + CHUNK, n + 1)):
            day = _bisect(world.cum_days, rng.random())
            created = world.start + timedelta(days=day, seconds=rng.randint(6 * 3600, 23 * 3600))
            channel_id = rng.choices(range(1, len(CHANNELS) + 1), weights=shares)[0]
            quality = CHANNELS[channel_id - 1][3]
            campaigns = world.campaigns[channel_id]
            active = campaigns[max(0, day // 30 - 1) : day // 30 + 1]
            campaign = rng.choice(active) if active and rng.random() < 0.75 else None
            kind = "recruitment" if rng.random() < 0.01 else "sales"
            moves = [] if kind == "recruitment" else _path(created, quality, rng, world.now)
            stage = moves[-1][1] if moves else ("applicant" if kind == "recruitment" else "iql")
            changed = moves[-1][2] if moves else created
            low = CHANNELS[channel_id - 1][5]
            flags = '["bought_list"]' if low and rng.random() < 0.7 else "[]"
            owner = rng.randint(1, OWNERS) if rng.random() < 0.85 else None
            c, ch = stamp(created), stamp(changed)
            out["leads"].append(
                (lead_id, kind, stage, f"lead{lead_id}@bench.vn", "[]", "VN", channel_id, campaign, owner,
                 flags, f"khach {lead_id}", f"khach {lead_id}", c, ch, ch, *first_entries(moves))
            )  # fmt: skip
            out["lead_scores"].append((lead_id, rng.randint(0, 100)))
            change_id += 1
            out["stage_changes"].append(
                (
                    change_id,
                    lead_id,
                    None,
                    "applicant" if kind == "recruitment" else "iql",
                    c,
                    "import",
                    "",
                    "created",
                )
            )
            for from_stage, to_stage, at in moves:
                change_id += 1
                out["stage_changes"].append(
                    (change_id, lead_id, from_stage, to_stage, stamp(at), "user", "", "")
                )
            span = max((changed - created).total_seconds(), 86_400.0) * 1.5
            count = _poisson(events_per_lead * (0.5 + 0.5 * len(moves)) / 1.47, rng)
            for _ in range(count):
                event_id += 1
                at = created + timedelta(seconds=rng.random() * span)
                if at >= world.now:
                    at = created
                out["events"].append((event_id, lead_id, rng.choice(EVENT_TYPES), stamp(at), "{}", "web", c))
        yield out


def first_entries(moves: list[tuple[str, str, datetime]]) -> list[str | None]:
    """Per level above IQL, the first move into it or a later one (``leads.reached_*_at``): written with the
    lead, so the triggers that keep them find nothing to change while the moves are loaded after it."""
    out: list[str | None] = []
    for i in range(len(REACHED_LEVELS)):
        moments = [at for _, to, at in moves if to in REACHED_LEVELS[i:]]
        out.append(stamp(min(moments)) if moments else None)
    return out


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _poisson(mean: float, rng: random.Random) -> int:
    """Knuth for small means, a rounded normal beyond."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# --- loading --------------------------------------------------------------------------------------------

COLUMNS = {
    "teams": "id, name, created_at",
    "users": "id, email, name, password_hash, role, locale, active, created_at, team_id",
    "channels": "id, code, name, paid, low_quality",
    "campaigns": "id, name, channel_id, utm_campaign, starts_on, ends_on, currency, created_at",
    "campaign_costs": "id, campaign_id, day, amount_minor, currency",
    "lead_scores": "lead_id, score",
    "leads": "id, kind, stage, email, interests, country, channel_id, campaign_id, owner_id, flags, "
    "search_key, name_key, created_at, updated_at, stage_changed_at, "
    + ", ".join(f"reached_{level}_at" for level in REACHED_LEVELS),
    "stage_changes": "id, lead_id, from_stage, to_stage, at, actor_type, actor_label, reason",
    "events": "id, lead_id, type, occurred_at, properties, source, created_at",
}


class Loader:
    """Writes rows the fastest way each database offers; the events' secondary indexes come after."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.url = url
        self.dropped: list[str] = []
        if kind == "sqlite":
            self.lite = sqlite3.connect(make_url(url).database or "")
            self.lite.execute("PRAGMA synchronous=OFF")
        else:
            self.pg = get_engine(url).raw_connection()

    def drop_event_indexes(self) -> None:
        if self.kind == "sqlite":
            found = self.lite.execute(
                "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='events' AND sql IS NOT NULL"
            ).fetchall()
            for name, sql in found:
                self.lite.execute(f"DROP INDEX {name}")
                self.dropped.append(sql)
            return
        cur = self.pg.cursor()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename='events' AND indexname LIKE 'ix_%'"
        )
        for name, sql in cur.fetchall():
            cur.execute(f"DROP INDEX {name}")
            self.dropped.append(sql)
        self.pg.commit()

    def restore_event_indexes(self) -> None:
        if self.kind == "sqlite":
            for sql in self.dropped:
                self.lite.execute(sql)
            self.lite.commit()
            return
        cur = self.pg.cursor()
        for sql in self.dropped:
            cur.execute(sql)
        self.pg.commit()

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.kind == "sqlite":
            marks = ", ".join("?" * len(rows[0]))
            self.lite.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows)
            return
        cur = self.pg.cursor()
        with cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_text(v) for v in row))
                buffer.write("\n")
            copy.write(buffer.getvalue())

    def commit(self) -> None:
        (self.lite if self.kind == "sqlite" else self.pg).commit()

    def finish(self) -> None:
        if self.kind == "sqlite":
            self.lite.execute("ANALYZE")
            self.lite.commit()
            self.lite.close()
        else:
            self.pg.close()
            with create_engine(self.url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text("VACUUM ANALYZE"))


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def sqlite_file(name: str) -> str:
    """The SQLite file's name: ``reports.db`` under the default name (as seeded before ``--name`` existed)."""
    return "reports.db" if name == PG_NAME else f"{name}.db"


def fresh(kind: str, workdir: Path, reuse: bool, name: str = PG_NAME) -> tuple[str, bool]:
    """The database URL, and whether it still needs seeding. ``name`` is the PostgreSQL database's name and
    the SQLite file's (``sqlite_file``), so a small run never touches the full-size seeded data."""
    if kind == "sqlite":
        path = workdir / sqlite_file(name)
        url = f"sqlite:///{path}"
        if path.exists() and not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        seeded = path.exists()
    else:
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and not reuse:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            if not exists or not reuse:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        seeded = bool(exists) and reuse
    before = _revision(url)
    upgrade(url)
    if seeded and _revision(url) != before:
        _analyze_leads(kind, url)
    return url, not seeded


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            found = conn.scalar(text("SELECT version_num FROM alembic_version"))
            return None if found is None else str(found)
    finally:
        engine.dispose()


def _analyze_leads(kind: str, url: str) -> None:
    """After a migration rewrote seeded leads (0008 fills their first entries): PostgreSQL's index-only
    scans need the visibility map set again, and both planners need statistics on the new indexes."""
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE leads" if kind == "postgresql" else "ANALYZE leads"))


def check_reached(url: str) -> int:
    """How many leads' stored first entries differ from their moves (``paths.reached``): must be 0."""
    firsts = ", ".join(
        f"min(at) FILTER (WHERE to_stage IN ({', '.join(repr(s) for s in REACHED_LEVELS[i:])})) AS r{i}"
        for i in range(len(REACHED_LEVELS))
    )
    differs = " OR ".join(
        f"l.reached_{level}_at IS DISTINCT FROM m.r{i}" for i, level in enumerate(REACHED_LEVELS)
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        wrong = conn.scalar(
            text(
                f"SELECT count(*) FROM leads AS l LEFT JOIN (SELECT lead_id, {firsts} FROM stage_changes "
                f"GROUP BY lead_id) AS m ON m.lead_id = l.id WHERE {differs}"
            )
        )
    engine.dispose()
    return int(wrong or 0)


def seed(kind: str, url: str, n_leads: int, n_events: int, now: datetime) -> dict[str, Any]:
    rng = random.Random(SEED)
    world, rows = reference(now, rng)
    loader = Loader(kind, url)
    started = time.perf_counter()
    for table in ("teams", "users", "channels", "campaigns", "campaign_costs"):
        loader.write(table, rows[table])
    loader.commit()
    loader.drop_event_indexes()
    counts = {"leads": 0, "lead_scores": 0, "stage_changes": 0, "events": 0}
    for chunk in leads(world, n_leads, n_events / max(n_leads, 1), rng):
        for table, chunk_rows in chunk.items():
            loader.write(table, chunk_rows)
            counts[table] += len(chunk_rows)
        loader.commit()
        if counts["leads"] % 200_000 == 0:
            print(f"[{kind}] {counts} after {time.perf_counter() - started:.0f}s", flush=True)
    loader.restore_event_indexes()
    loader.finish()
    if kind == "postgresql":
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
            for table in (
                "leads",
                "stage_changes",
                "events",
                "campaign_costs",
                "campaigns",
                "users",
                "teams",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
    seconds = round(time.perf_counter() - started, 1)
    return {**counts, "seconds": seconds, "reached_wrong": check_reached(url)}


# --- timing ---------------------------------------------------------------------------------------------


def time_reports(
    url: str, runs: int, channels: tuple[str, ...], days: int, *, concurrent: bool = True
) -> dict[str, Any]:
    """``concurrent=True`` as the dashboard and the API call it (both periods at once), else one after
    the other as ``pheu report`` does."""
    as_of = datetime.now(UTC)
    zone = report_zone()
    period = Period.ending(as_of.astimezone(zone).date(), days)
    filters = ReportFilters(period, channels=channels)
    timings: list[float] = []
    leads = 0
    for i in range(runs + 1):
        started = time.perf_counter()
        with unit_of_work(url) as session:
            result = build_report(session, filters, as_of, zone=zone, concurrent=concurrent)
        if i:  # the first run warms the caches
            timings.append((time.perf_counter() - started) * 1000)
        leads = result.current.leads
    timings.sort()
    return {
        "concurrent": concurrent,
        "range": f"{period.first_day} to {period.last_day}",
        "channels": list(channels),
        "cohort_leads": leads,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, math.ceil(len(timings) * 0.95) - 1)], 1),
        "max_ms": round(timings[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument(
        "--channel", action="append", default=None, help="channel code (default facebook_ads)"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pheu-bench-reports"))
    parser.add_argument(
        "--name",
        default=PG_NAME,
        help=f"PostgreSQL database name and SQLite file name under --workdir (default {PG_NAME}, "
        "whose SQLite file is reports.db): a small run under another name leaves the seeded data alone",
    )
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop without timing")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    channels = tuple(args.channel or ["facebook_ads"])
    now = datetime.now(UTC).replace(microsecond=0)
    results: dict[str, Any] = {}
    for kind in kinds:
        url, needs_seed = fresh(kind, args.workdir, args.reuse, args.name)
        seeded = seed(kind, url, args.leads, args.events, now) if needs_seed else {"reused": True}
        print(f"[{kind}] seeded: {seeded}", flush=True)
        if args.seed_only:
            continue
        results[kind] = {
            "seeded": seeded,
            "filtered": time_reports(url, args.runs, channels, args.days),
            "filtered_sequential": time_reports(url, args.runs, channels, args.days, concurrent=False),
            "all_channels": time_reports(url, max(5, args.runs // 4), (), args.days),
        }
        get_engine(url).dispose()
        print(f"[{kind}] {json.dumps(results[kind], ensure_ascii=False)}", flush=True)
    print("| database | range | filter | cohort leads | p50 | p95 |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for kind, r in results.items():
        for name in ("filtered", "filtered_sequential", "all_channels"):
            t = r[name]
            shown = (", ".join(t["channels"]) or "all channels") + (
                " (one period after the other)" if "seq" in name else ""
            )
            print(
                f"| {kind} | {t['range']} | {shown} | {t['cohort_leads']:,} | {t['p50_ms']} ms | {t['p95_ms']} ms |"
            )
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
