"""Assign 10,000 new leads arriving at once: seconds, and the spread of leads per rep under least-loaded.

    uv run python bench/assign.py --leads 10000 --reps 12 --db both

A fresh database gets three teams (North, Central, South) of ``--reps`` reps each with their managers, one
least-loaded rule per region, and ``--leads`` unowned MQL sales leads spread over the provinces as the demo
draws them. The timed part is one ``assignment.hand_off`` over all the lead ids in one transaction, commit
included: rules, reps' loads and schedules read, decisions made, assignments, owners, deadlines, first-contact
tasks and notifications written.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))
from scoring import fresh

from pheu.auth.roles import Role
from pheu.db import get_engine, unit_of_work
from pheu.demo.vocab import PROVINCES
from pheu.services import assignment, assignment_rules, users
from pheu.services.assignment_rules import RuleIn
from pheu.store import Assignment, Lead, Notification, Task, Team
from pheu.store.bulk import insert_many

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # a Thursday, 10:00 in Hồ Chí Minh City


def seed(url: str, n_leads: int, reps: int) -> list[int]:
    with unit_of_work(url) as s:
        admin = users.principal_for(
            users.add_user(
                s, email="admin@bench.vn", name="Admin", password="bench-pass", role=Role.ADMIN, now=NOW
            )
        )
        for region, team_name in (("north", "Miền Bắc"), ("central", "Miền Trung"), ("south", "Miền Nam")):
            manager = users.add_user(
                s, email=f"manager-{region}@bench.vn", name=f"QL {team_name}", password="bench-pass",
                role=Role.SALES_MANAGER, now=NOW, team=team_name,
            )  # fmt: skip
            for i in range(reps):
                users.add_user(
                    s, email=f"rep-{region}-{i}@bench.vn", name=f"NV {team_name} {i}", password="bench-pass",
                    role=Role.SALES_REP, now=NOW, team=team_name,
                )  # fmt: skip
            team = s.scalars(select(Team).where(Team.name == team_name)).one()
            team.manager_id = manager.id
            assignment_rules.create_rule(
                s, admin, RuleIn(team_name, team.id, "least_loaded", {"regions": [region]}), NOW
            )
    rng = random.Random(5)
    names = [p[0] for p in PROVINCES]
    weights = [p[2] for p in PROVINCES]
    rows = [
        {
            "kind": "sales",
            "stage": "mql",
            "full_name": f"Khách {i}",
            "email": f"lead{i}@bench.vn",
            "province": rng.choices(names, weights)[0],
            "country": "VN",
            "interests": [],
            "flags": [],
            "score": rng.randint(30, 90),
            "temperature": rng.choice(["hot", "warm", "cold"]),
            "search_key": f"khach {i}",
            "name_key": f"khach {i}",
            "created_at": NOW,
            "updated_at": NOW,
            "stage_changed_at": NOW,
        }
        for i in range(n_leads)
    ]
    with unit_of_work(url) as s:
        insert_many(s, Lead, rows)
    with unit_of_work(url) as s:
        return list(s.scalars(select(Lead.id).order_by(Lead.id)))


def run(kind: str, n_leads: int, reps: int, workdir: Path) -> dict[str, object]:
    url = fresh(kind, f"pheu_bench_assign_{n_leads}", workdir)
    ids = seed(url, n_leads, reps)
    started = time.perf_counter()
    with unit_of_work(url) as s:
        summary = assignment.hand_off(s, ids, NOW)
    seconds = time.perf_counter() - started
    with unit_of_work(url) as s:
        per_team: dict[str, list[int]] = {}
        stmt = select(Team.name, Lead.owner_id, func.count()).join(Assignment, Assignment.lead_id == Lead.id)
        stmt = stmt.join(Team, Team.id == Assignment.team_id).group_by(Team.name, Lead.owner_id)
        for team_name, _owner, n in s.execute(stmt):
            per_team.setdefault(team_name, []).append(int(n))
        tasks = s.scalar(select(func.count()).select_from(Task))
        notices = s.scalar(select(func.count()).select_from(Notification))
    get_engine(url).dispose()
    spread = {t: (min(v), max(v), max(v) / min(v)) for t, v in per_team.items()}
    return {
        "db": kind,
        "seconds": seconds,
        **summary.as_json(),
        "tasks": tasks,
        "notices": notices,
        "spread": spread,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=12)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            r = run(kind, args.leads, args.reps, Path(tmp))
            print(f"{kind}: {r['seconds']:.2f} s for {args.leads:,} leads — assigned {r['assigned']:,}, "
                  f"waiting {r['waiting']}, unmatched {r['unmatched']}, tasks {r['tasks']:,}, notices {r['notices']}")  # fmt: skip
            for team, (lo, hi, ratio) in sorted(r["spread"].items()):  # type: ignore[attr-defined]
                print(f"  {team}: min {lo}, max {hi} leads per rep, max/min {ratio:.3f}")


if __name__ == "__main__":
    main()
