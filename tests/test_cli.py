"""The command line, run as a person would: a fresh database, a user, a key, the demo."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from pheu.cli import app
from pheu.db import unit_of_work
from pheu.store import Lead, StageChange, User
from pheu.web.app import create_app

runner = CliRunner()


def test_upgrade_add_user_and_issue_a_key_that_works(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--db-url", url]).exit_code == 0
    added = runner.invoke(
        app,
        [
            "user",
            "add",
            "boss@x.vn",
            "--name",
            "Nguyễn Văn Sếp",
            "--role",
            "admin",
            "--password",
            "s3cret-pass",
            "--db-url",
            url,
        ],
    )
    assert added.exit_code == 0, added.output
    again = runner.invoke(
        app, ["user", "add", "boss@x.vn", "--name", "X", "--password", "s3cret-pass", "--db-url", url]
    )
    assert again.exit_code == 1
    assert "already exists" in again.output
    with unit_of_work(url) as s:
        user = s.scalars(select(User)).one()
        assert user.role == "admin"
        assert user.password_hash.startswith("$argon2id$")
    bad = runner.invoke(
        app,
        ["apikey", "create", "--user", "boss@x.vn", "--name", "w", "--scope", "leads:eat", "--db-url", url],
    )
    assert bad.exit_code == 1
    assert "Unknown scope" in bad.output
    made = runner.invoke(
        app,
        [
            "apikey",
            "create",
            "--user",
            "boss@x.vn",
            "--name",
            "web",
            "--scope",
            "leads:read",
            "--db-url",
            url,
        ],
    )
    assert made.exit_code == 0, made.output
    token = next(w for w in made.output.split() if w.startswith("pheu_"))
    with TestClient(create_app(url)) as client:
        assert client.get("/api/v1/leads", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        r = client.post(
            "/api/v1/leads", json={"email": "a@x.vn"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 403


def test_demo_seeds_a_believable_pipeline_and_reuses_it(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["demo", "--db", str(db), "--leads", "300", "--no-serve", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["login"] == {"email": "admin@pheu.local", "password": "pheu-admin"}
    assert payload["url"] == "http://127.0.0.1:8000"
    url = f"sqlite:///{db}"
    with unit_of_work(url) as s:
        leads = s.scalar(select(func.count()).select_from(Lead))
        assert leads is not None and leads > 300  # the 300 generated, and those its forms and import captured
        stages = dict(s.execute(select(Lead.stage, func.count()).group_by(Lead.stage)).all())
        assert stages.get("iql", 0) > stages.get("customer", 0) > 0
        assert s.scalar(select(func.count()).select_from(StageChange)) >= 300
    again = runner.invoke(app, ["demo", "--db", str(db), "--leads", "300", "--no-serve"])
    assert again.exit_code == 0
    assert "Reusing" in again.output
    with unit_of_work(url) as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == leads
