"""Form capture throughput: requests/s and latency of ``POST /f/{slug}`` at 50 concurrent clients, against a
bare FastAPI endpoint that parses the same body, in the same run, on SQLite and PostgreSQL.

For each database: a fresh database, migrated, with one channel and one form (name, email and phone, one
consent purpose). The real app and the bare app each run in their own uvicorn process (``bench/form_server.py``,
one worker, like ``pheu serve``) on a loopback port; ``wrk`` loads each in turn. As under ``pheu serve``, the
app answers a submission once it is stored and a lander process beside it lands it (``form_lander``). Every
body is a distinct person (email and phone) with its own time-to-submit token, minted with the server's secret
10 s in the past, so every submission creates one lead. Afterwards the bench waits until nothing is queued
(``landing_lag_s``: how long after the load that took) and counts the rows: every answered submission must
have landed, and no answer may be other than 2xx.

    uv run python bench/form_capture.py --db both

The benchmark posts from one address, so the form server's rate limiter is set to a limit out of reach
(``form_server.BENCH_RATE_LIMIT``); it still runs on every request.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from pheu.auth.roles import Role
from pheu.capture.forms import CONSENT_FIELD, FieldSpec
from pheu.capture.spam import TOKEN_FIELD, issue_token
from pheu.db import get_engine, unit_of_work, upgrade
from pheu.services import forms, users
from pheu.services.forms import FormDraft
from pheu.store import Channel, Consent, Event, Form, InboundPayload, Lead, RejectedRecord, StageChange

PG_ADMIN = os.environ.get("PHEU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_DATABASE = "pheu_bench_forms"
HERE = Path(__file__).parent
SECRET = "pheu-bench-form-capture-not-a-real-secret"
SLUG = "uu-dai-tet"
WARMUP = 50
PHONE_PREFIX = {"bench": "090", "warmup": "091"}  # distinct mobiles, so no body merges into another
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
MIDDLES = ("Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hữu", "Đức", "Thu")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khoa", "Lan", "Mai", "Nam", "Phúc")

LUA_BODIES = r"""
-- Each wrk thread posts its own share of the pre-generated bodies (one per line), in order, cycling.
local created = 0
function setup(thread)
  thread:set("tid", created)
  created = created + 1
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  bodies, i = {}, 0
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == tid then bodies[#bodies + 1] = line end
    n = n + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""
# The app's floor: a JSON body that is not an object, which the route refuses (400) before any database work.
LUA_FLOOR = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = "[]"
"""
LUA_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "non_2xx_3xx": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""
ENDPOINTS = ("bare", "app_floor", "form")


@dataclass(frozen=True, slots=True)
class Load:
    connections: int
    threads: int
    seconds: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def person(n: int, tag: str) -> dict[str, str]:
    name = f"{SURNAMES[n % 12]} {MIDDLES[n // 12 % 8]} {GIVEN[n // 96 % 13]}"
    return {
        "full_name": name,
        "email": f"{tag}.{n:07d}@gmail.com",
        "phone": f"{PHONE_PREFIX[tag]}{n % 10_000_000:07d}",
        CONSENT_FIELD: "on",
        "utm_source": "facebook",
        "utm_medium": "cpc",
        "utm_campaign": "tet-2027",
        "website": "",  # the honeypot, left empty as a person leaves it
    }


def body(n: int, tag: str, issued_at: datetime) -> str:
    token = issue_token(SECRET, SLUG, issued_at, nonce=f"{tag}-{n:07d}")
    return urlencode({TOKEN_FIELD: token, **person(n, tag)})


def write_bodies(path: Path, count: int, tag: str) -> None:
    """``count`` bodies, one per line; each token was issued 10 s ago, so it is past the 2 s minimum and
    far from the one-day maximum for the whole run."""
    issued_at = datetime.now(UTC) - timedelta(seconds=10)
    started = time.perf_counter()
    with path.open("w", encoding="ascii") as out:
        for n in range(count):
            out.write(body(n, tag, issued_at) + "\n")
    print(f"minted {count:,} bodies in {time.perf_counter() - started:.1f}s -> {path}", flush=True)


def fresh_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        path = workdir / "forms-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
        admin.dispose()
        url = make_url(PG_ADMIN).set(database=PG_DATABASE).render_as_string(hide_password=False)
    upgrade(url)
    now = datetime.now(UTC)
    with unit_of_work(url) as session:
        session.add(Channel(code="landing_page", name="Landing page", paid=False))
        user = users.add_user(
            session, email="marketing@bench.local", name="Marketing", password="bench-password-1",
            role=Role.MARKETING, now=now,
        )  # fmt: skip
        marketer = users.principal_for(user)
    draft = FormDraft(
        name="Phiếu giảm giá Tết",
        slug=SLUG,
        lead_magnet="coupon",
        fields=(
            FieldSpec("full_name", "Họ và tên", True),
            FieldSpec("email", "Email", True),
            FieldSpec("phone", "Số điện thoại", False),
        ),
        title="Nhận phiếu giảm giá 20% dịp Tết",
        consent_text="Tôi đồng ý nhận email ưu đãi. Tôi có thể rút lại bất cứ lúc nào.",
        consent_purposes=("email_marketing",),
        channel="landing_page",
    )
    with unit_of_work(url) as session:
        forms.create_form(session, marketer, draft, now)
    return url


def start_server(app: str, port: int, db_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PHEU_SECRET_KEY": SECRET, "PHEU_DATABASE_URL": db_url or "sqlite:///unused.db"}
    command = [sys.executable, str(HERE / "form_server.py"), "--app", app, "--port", str(port)]
    if db_url:
        command += ["--db-url", db_url]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{app} server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{app} server did not listen on port {port} within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT lets uvicorn finish the requests in flight before it exits."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def warm_up(port: int, bodies: list[str]) -> None:
    """A few sequential posts so the first requests of the measured run do not pay for imports and caches."""
    for line in bodies:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            request = (
                f"POST /f/{SLUG} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(line)}\r\n\r\n{line}"
            )
            conn.sendall(request.encode("ascii"))
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        status = answer.split(b" ", 2)[1]
        if not status.startswith(b"2"):
            raise RuntimeError(f"warm-up post answered {answer[:400]!r}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process (all its threads) so far, from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(wrk: str, port: int, script: Path, bodies: Path, load: Load) -> dict[str, Any]:
    command = [
        wrk, f"-t{load.threads}", f"-c{load.connections}", f"-d{load.seconds}s", "--latency", "--timeout", "10s",
        "-s", str(script), f"http://127.0.0.1:{port}/f/{SLUG}", "--", str(bodies), str(load.threads),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=load.seconds + 120, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p90_ms": round(raw["p90_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "non_2xx": raw["non_2xx_3xx"],
        "socket_errors": raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"],
        "wrk_output": done.stdout.replace(line, "").strip(),
    }


def landing_lag(url: str, timeout: float = 300.0) -> float:
    """Seconds from the end of the load until the lander has landed every queued submission (the server
    answers once a submission is stored, as ``pheu serve`` does)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with unit_of_work(url) as session:
            pending = session.scalar(
                select(func.count())
                .select_from(InboundPayload)
                .where(InboundPayload.provider == "form", InboundPayload.status == "pending")
            )
        if not pending:
            return round(time.perf_counter() - started, 2)
        time.sleep(0.05)
    raise RuntimeError(f"{pending} submissions still queued {timeout:.0f} s after the load ended")


def counts(url: str) -> dict[str, int]:
    with unit_of_work(url) as session:

        def n(model: Any, *where: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return {
            "leads": n(Lead),
            "events": n(Event, Event.type == "form_submit"),
            "stage_changes": n(StageChange),
            "consents": n(Consent),
            "rejected": n(RejectedRecord),
            "form_submissions": int(session.scalar(select(Form.submissions).where(Form.slug == SLUG)) or 0),
        }


def measure(
    wrk: str, proc: subprocess.Popen[bytes], port: int, script: Path, bodies: Path, load: Load
) -> dict[str, Any]:
    """One wrk run, with the server's CPU time per request and the machine's load average after it."""
    cpu = cpu_seconds(proc.pid)
    result = run_wrk(wrk, port, script, bodies, load)
    used = cpu_seconds(proc.pid) - cpu
    result["server_cpu_ms_per_request"] = round(1000 * used / max(result["requests"], 1), 2)
    result["load_average_1m"] = round(os.getloadavg()[0], 1)
    return result


def bench(kind: str, wrk: str, workdir: Path, bodies: Path, warmup: list[str], load: Load) -> dict[str, Any]:
    """Bare endpoint, then the real app's floor and its form capture, against a fresh database."""
    url = fresh_database(kind, workdir)
    posting, floor = workdir / "post.lua", workdir / "floor.lua"
    posting.write_text(LUA_BODIES + LUA_DONE)
    floor.write_text(LUA_FLOOR + LUA_DONE)
    result: dict[str, Any] = {}
    say = f"wrk -t{load.threads} -c{load.connections} -d{load.seconds}s"
    port = free_port()
    proc = start_server("bare", port, "", workdir / f"{kind}-bare.log")
    try:
        warm_up(port, warmup)
        print(f"[{kind}] bare: {say}", flush=True)
        result["bare"] = measure(wrk, proc, port, posting, bodies, load)
    finally:
        stop_server(proc)
    port = free_port()
    proc = start_server("form", port, url, workdir / f"{kind}-form.log")
    try:
        warm_up(port, warmup)
        print(f"[{kind}] app floor: {say}", flush=True)
        result["app_floor"] = measure(wrk, proc, port, floor, bodies, load)
        before = counts(url)
        print(f"[{kind}] form: {say}", flush=True)
        result["form"] = measure(wrk, proc, port, posting, bodies, load)
        result["form"]["landing_lag_s"] = landing_lag(url)
    finally:
        stop_server(proc)
    after = counts(url)
    result["landed"] = {k: after[k] - before[k] for k in after}
    get_engine(url).dispose()
    return result


def check(kind: str, result: dict[str, Any], bodies: int) -> list[str]:
    """What went wrong: any non-2xx answer or socket error, any answered submission that did not land, any
    floor request not refused, and a run that outran its distinct bodies."""
    problems = []
    if result["form"]["requests"] > bodies:
        problems.append(
            f"{kind}: {result['form']['requests']} submissions but only {bodies} bodies; raise --bodies"
        )
    floor = result["app_floor"]
    if floor["non_2xx"] != floor["requests"] or floor["socket_errors"]:
        problems.append(f"{kind} app_floor: {floor['requests'] - floor['non_2xx']} requests not refused")
    for app in ("bare", "form"):
        if result[app]["non_2xx"] or result[app]["socket_errors"]:
            problems.append(
                f"{kind} {app}: {result[app]['non_2xx']} non-2xx, {result[app]['socket_errors']} errors"
            )
    landed, answered = result["landed"], result["form"]["requests"]
    for table in ("leads", "events", "stage_changes", "consents", "form_submissions"):
        if landed[table] < answered:
            problems.append(f"{kind}: {answered} submissions answered but {landed[table]} {table} written")
    if landed["rejected"]:
        problems.append(f"{kind}: {landed['rejected']} submissions rejected")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--bodies", type=int, default=200_000, help="pre-minted distinct submissions")
    parser.add_argument("--keep", type=Path, default=None, help="keep bodies, logs and SQLite file here")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 300 or not 1 <= args.connections <= 1000 or not 1 <= args.bodies <= 2_000_000:
        parser.error("keep --seconds in 1..300, --connections in 1..1000 and --bodies in 1..2,000,000")
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    load = Load(args.connections, args.threads, args.seconds)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    report: dict[str, Any] = {"load": asdict(load)}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pheu-forms-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        bodies = workdir / "bodies.txt"
        write_bodies(bodies, args.bodies, "bench")
        issued = datetime.now(UTC) - timedelta(seconds=10)
        warmup = [body(n, "warmup", issued) for n in range(WARMUP)]
        for kind in kinds:
            report[kind] = bench(kind, wrk, workdir, bodies, warmup, load)
            problems += check(kind, report[kind], args.bodies)
    print_table(report, kinds, load)
    for kind in kinds:
        for app in ENDPOINTS:
            report[kind][app].pop("wrk_output", None)
    report["problems"] = problems
    print(json.dumps(report, indent=2))
    if problems:
        sys.exit("\n".join(problems))


def print_table(report: dict[str, Any], kinds: list[str], load: Load) -> None:
    print(
        f"\nPOST /f/{SLUG}, {load.connections} connections, {load.threads} wrk threads, {load.seconds} s each"
    )
    header = (
        f"{'database':11} {'endpoint':9} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
        f"{'requests':>9} {'non-2xx':>8} {'cpu ms/req':>10} {'load':>5}"
    )
    print(header)
    print("-" * len(header))
    for kind in kinds:
        for app in ENDPOINTS:
            r = report[kind][app]
            print(
                f"{kind:11} {app:9} {r['rps']:9.1f} {r['p50_ms']:8.1f} {r['p90_ms']:8.1f} {r['p99_ms']:8.1f} "
                f"{r['requests']:9d} {r['non_2xx'] + r['socket_errors']:8d} "
                f"{r['server_cpu_ms_per_request']:10.2f} {r['load_average_1m']:5.1f}"
            )
        landed = report[kind]["landed"]
        print(f"{'':11} landed: " + ", ".join(f"{k} {v:,}" for k, v in landed.items()))
        print(f"{'':11} all landed {report[kind]['form']['landing_lag_s']} s after the load ended")


if __name__ == "__main__":
    main()
