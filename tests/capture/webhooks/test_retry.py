"""``process_pending`` and ``pheu webhooks``: a stored payload is never lost, and never lands twice."""

from __future__ import annotations

import json

from sqlalchemy import update
from typer.testing import CliRunner

from pheu.capture import webhooks
from pheu.cli import app
from pheu.db import unit_of_work
from pheu.store import InboundPayload
from tests.capture.ads.recorded import raw
from tests.capture.webhooks.stored import count_leads, payloads
from tests.conftest import NOW

runner = CliRunner()
TIKTOK = raw("tiktok_webhook_leads.json")


def test_a_payload_stored_just_before_a_crash_is_landed_by_the_retry(ads_db: str) -> None:
    webhooks.store(ads_db, "tiktok", TIKTOK, {"X-Open-Signature": "abc", "Cookie": "secret"}, NOW)
    [payload] = payloads(ads_db)
    assert (payload.status, payload.attempts) == ("pending", 0)
    assert payload.headers == {"x-open-signature": "abc"}

    summary = webhooks.process_pending(ads_db, NOW, None)
    assert summary.as_json() == {"processed": 1, "failed": 0, "leads_created": 2, "duplicates": 0}
    assert [(p.status, p.processed_at) for p in payloads(ads_db)] == [("processed", NOW)]
    assert webhooks.process_pending(ads_db, NOW, None).as_json()["processed"] == 0


def test_a_redelivery_processed_later_counts_as_duplicates(ads_db: str) -> None:
    for _ in range(2):
        webhooks.store(ads_db, "tiktok", TIKTOK, {}, NOW)
    summary = webhooks.process_pending(ads_db, NOW, None)
    assert summary.as_json() == {"processed": 2, "failed": 0, "leads_created": 2, "duplicates": 2}
    assert count_leads(ads_db) == 2


def test_a_processed_payload_is_not_processed_again(ads_db: str) -> None:
    payload_id = webhooks.store(ads_db, "tiktok", TIKTOK, {}, NOW)
    assert webhooks.process(ads_db, payload_id, NOW, None).created == 2
    assert webhooks.process(ads_db, payload_id, NOW, None).status == "skipped"
    assert [p.attempts for p in payloads(ads_db)] == [1]


def test_the_retry_gives_up_on_a_payload_after_ten_attempts(ads_db: str) -> None:
    payload_id = webhooks.store(ads_db, "tiktok", b"{not json", {}, NOW)
    with unit_of_work(ads_db) as s:
        s.execute(update(InboundPayload).where(InboundPayload.id == payload_id).values(attempts=9))
    assert webhooks.process_pending(ads_db, NOW, None).as_json()["failed"] == 1
    assert webhooks.process_pending(ads_db, NOW, None).results == []
    [payload] = payloads(ads_db)
    assert (payload.status, payload.attempts) == ("failed", 10)


def test_the_cli_retries_and_lists_payloads(ads_db: str) -> None:
    webhooks.store(ads_db, "tiktok", TIKTOK, {}, NOW)
    webhooks.store(ads_db, "tiktok", b'{"object": 1, "entry": [{}]}', {}, NOW)
    retried = runner.invoke(app, ["webhooks", "retry", "--json", "--db-url", ads_db])
    assert retried.exit_code == 0, retried.output
    assert json.loads(retried.output) == {"processed": 1, "failed": 1, "leads_created": 2, "duplicates": 0}

    table = runner.invoke(app, ["webhooks", "retry", "--db-url", ads_db])
    assert table.exit_code == 0, table.output
    assert "Leads created" in table.output
    assert "entry[0].id is missing" in table.output

    listed = runner.invoke(app, ["webhooks", "list", "--json", "--db-url", ads_db])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["status"], r["error"]) for r in rows] == [
        ("failed", "entry[0].id is missing"),
        ("processed", None),
    ]
    assert rows[0]["attempts"] == 2
    shown = runner.invoke(app, ["webhooks", "list", "--db-url", ads_db])
    assert shown.exit_code == 0, shown.output
    assert "failed" in shown.output
    assert "tiktok" in shown.output
