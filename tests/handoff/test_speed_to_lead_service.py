"""Escalation of breached first-contact deadlines, the tick, and notification mail through a real SMTP
server (aiosmtpd, in-process)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from pheu.config import Settings
from pheu.db import unit_of_work
from pheu.services import speed_to_lead
from pheu.store import User
from pheu.web.handoff_labels import notice_text
from tests.conftest import NOW
from tests.handoff.assign_helpers import build_teams, lead_row, notices, ready_lead, tasks


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port: aiosmtpd checks its server by connecting to the given one
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_a_breach_reaches_the_rep_and_the_manager_once(db_url: str) -> None:
    t = build_teams(db_url)
    lead_id = ready_lead(db_url, t.admin, "Hà Nội", temperature="hot")
    due = lead_row(db_url, lead_id).first_contact_due_at
    assert due == NOW + timedelta(minutes=15)
    with unit_of_work(db_url) as s:
        assert speed_to_lead.escalate(s, NOW + timedelta(minutes=14)) == 0
    with unit_of_work(db_url) as s:
        assert speed_to_lead.escalate(s, NOW + timedelta(minutes=16)) == 1
    with unit_of_work(db_url) as s:
        assert speed_to_lead.escalate(s, NOW + timedelta(minutes=30)) == 0
    [task] = tasks(db_url, lead_id)
    assert task.escalated_at == NOW + timedelta(minutes=16)
    rep = t.north_reps[0].user_id
    assert [n.kind for n in notices(db_url, rep)] == ["assigned", "deadline_breached"]
    [escalated] = notices(db_url, t.north_manager.user_id)
    assert (escalated.kind, escalated.lead_id, escalated.data["rep_name"]) == ("escalated", lead_id, "Bac0")
    assert notices(db_url, t.south_manager.user_id) == []


def test_a_contacted_lead_is_neither_overdue_nor_escalated(db_url: str) -> None:
    t = build_teams(db_url)
    lead_id = ready_lead(db_url, t.admin, "Hà Nội", temperature="hot")
    with unit_of_work(db_url) as s:
        from pheu.store import Lead

        lead = s.get(Lead, lead_id)
        assert lead is not None
        lead.first_contact_at = NOW + timedelta(minutes=4)
    with unit_of_work(db_url) as s:
        assert speed_to_lead.overdue(s, t.admin, NOW + timedelta(hours=1)) == []
        assert speed_to_lead.escalate(s, NOW + timedelta(hours=1)) == 0


def test_the_tick_mails_notices_once_in_the_readers_language(db_url: str, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    t = build_teams(db_url)
    with unit_of_work(db_url) as s:
        user = s.get(User, t.north_reps[0].user_id)
        assert user is not None
        user.locale = "en"
    lead_id = ready_lead(db_url, t.admin, "Hà Nội", temperature="hot", full_name="Đỗ Thu Hà")
    off = Settings(smtp_host="")
    assert speed_to_lead.tick(db_url, off, NOW + timedelta(minutes=1), notice_text).emailed == 0
    on = Settings(
        smtp_host="127.0.0.1", smtp_port=port, smtp_from="pheu@pheu.test", base_url="https://crm.test"
    )
    first = speed_to_lead.tick(db_url, on, NOW + timedelta(minutes=20), notice_text)
    assert (first.escalated, first.emailed) == (
        1,
        3,
    )  # assigned + breached to the rep, escalated to the manager
    again = speed_to_lead.tick(db_url, on, NOW + timedelta(minutes=21), notice_text)
    assert again.emailed == 0
    by_to: dict[str, list[EmailMessage]] = {m["To"]: [] for m in inbox.messages}
    for m in inbox.messages:
        by_to[m["To"]].append(m)
    subjects = sorted(m["Subject"] for m in by_to["bac0@pheu.test"])
    assert subjects == [
        "[Phễu] First-contact deadline passed: Đỗ Thu Hà",
        "[Phễu] New lead assigned to you: Đỗ Thu Hà",
    ]
    [manager_mail] = by_to["nm@pheu.test"]
    assert manager_mail["Subject"] == "[Phễu] Bac0 chưa liên hệ Đỗ Thu Hà đúng hạn"
    assert f"https://crm.test/leads/{lead_id}" in manager_mail.get_content()


def test_mail_failure_is_retried_on_the_next_tick(db_url: str, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    t = build_teams(db_url)
    ready_lead(db_url, t.admin, "Hà Nội")
    closed = Settings(smtp_host="127.0.0.1", smtp_port=1)  # nothing listens there
    with pytest.raises(OSError):
        speed_to_lead.tick(db_url, closed, NOW + timedelta(minutes=1), notice_text)
    on = Settings(smtp_host="127.0.0.1", smtp_port=port)
    assert speed_to_lead.tick(db_url, on, NOW + timedelta(minutes=2), notice_text).emailed == 1
    assert len(inbox.messages) == 1


def test_pheu_handoff_tick_runs_from_the_command_line(sqlite_url: str) -> None:
    from typer.testing import CliRunner

    from pheu.cli import app

    t = build_teams(sqlite_url)
    ready_lead(
        sqlite_url, t.admin, "Hà Nội", temperature="hot"
    )  # due NOW + 15 min, long past by the real clock
    result = CliRunner().invoke(app, ["handoff", "tick", "--db-url", sqlite_url, "--json"])
    assert result.exit_code == 0, result.output
    assert '"escalated": 1' in result.output


def test_the_web_app_ticks_in_the_background(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from fastapi.testclient import TestClient

    from pheu.config import get_settings
    from pheu.web.app import create_app

    t = build_teams(sqlite_url)
    lead_id = ready_lead(sqlite_url, t.admin, "Hà Nội", temperature="hot")
    monkeypatch.setenv("PHEU_HANDOFF_TICK_SECONDS", "1")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(sqlite_url)):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and tasks(sqlite_url, lead_id)[0].escalated_at is None:
                time.sleep(0.2)
    finally:
        get_settings.cache_clear()
    assert tasks(sqlite_url, lead_id)[0].escalated_at is not None
    assert [n.kind for n in notices(sqlite_url, t.north_manager.user_id)] == ["escalated"]
