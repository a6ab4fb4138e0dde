"""Scoring models on SQLite and PostgreSQL: versions stored as YAML, exactly one active, problems named."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pheu.auth.roles import Principal, Role
from pheu.db import unit_of_work
from pheu.score import default_model, from_yaml, to_yaml
from pheu.services import scoring
from pheu.services.errors import Conflict, Forbidden
from pheu.store import ScoringModelVersion
from tests.conftest import NOW
from tests.factories import add_user


def test_yaml_export_then_import_round_trips(db_url: str) -> None:
    with unit_of_work(db_url) as s:
        text = scoring.export_model(s)  # nothing stored yet: the built-in default
    assert from_yaml(text) == default_model()
    edited = text.replace("version: 1", "version: 2").replace("warm_at: 40", "warm_at: 35")
    with unit_of_work(db_url) as s:
        row = scoring.import_model(s, None, edited, NOW, activate=True)
        assert row.label == "mac-dinh v2"
    with unit_of_work(db_url) as s:
        again = scoring.export_model(s)
        assert again == edited
        assert scoring.active_model(s).model.temperature.warm_at == 35
        assert scoring.import_model(s, None, again, NOW).id == row.id  # the same version again is a repeat


def test_exactly_one_model_is_active(db_url: str) -> None:
    base = default_model()
    with unit_of_work(db_url) as s:
        first = scoring.import_model(s, None, to_yaml(base), NOW, activate=True)
        second = scoring.import_model(s, None, to_yaml(replace(base, version=2)), NOW, activate=True)
        first_id, second_id = first.id, second.id
    with unit_of_work(db_url) as s:
        assert s.scalar(select(func.count()).where(ScoringModelVersion.active)) == 1
        assert scoring.active_model(s).row_id == second_id
        scoring.activate_model(s, None, first_id, NOW)
    with unit_of_work(db_url) as s:
        assert [r.id for r in s.scalars(select(ScoringModelVersion).where(ScoringModelVersion.active))] == [
            first_id
        ]


def test_the_database_refuses_a_second_active_model(db_url: str) -> None:
    base = default_model()
    with unit_of_work(db_url) as s:
        scoring.import_model(s, None, to_yaml(base), NOW, activate=True)
    with pytest.raises(IntegrityError):
        _store_active(db_url, ScoringModelVersion(name="khac", version=1, yaml=to_yaml(base), active=True))


def _store_active(url: str, row: ScoringModelVersion) -> None:
    """Around the service, as a second writer racing it would."""
    with unit_of_work(url) as s:
        row.created_at = NOW
        s.add(row)


def test_a_stored_version_never_changes(db_url: str) -> None:
    base = default_model()
    with unit_of_work(db_url) as s:
        scoring.import_model(s, None, to_yaml(base), NOW)
    changed = replace(base, temperature=replace(base.temperature, hot_at=80))
    with unit_of_work(db_url) as s, pytest.raises(Conflict, match="version: 2"):
        scoring.import_model(s, None, to_yaml(changed), NOW)


def test_invalid_yaml_names_every_rule_at_fault(db_url: str) -> None:
    text = (
        to_yaml(default_model()).replace("points: 15", "points: -15", 1).replace("hot_at: 70", "hot_at: 30")
    )
    with unit_of_work(db_url) as s, pytest.raises(scoring.InvalidModel) as refused:
        scoring.import_model(s, None, text, NOW)
    assert refused.value.code == "invalid_model"
    assert "rule 'nguoi-quyet-dinh', points" in refused.value.message
    assert "temperature, hot_at" in refused.value.message
    assert len(refused.value.problems) == 2


def test_only_admins_and_marketers_change_models(db_url: str) -> None:
    manager: Principal = add_user(db_url, "sep@x.vn", Role.SALES_MANAGER, NOW)
    marketer: Principal = add_user(db_url, "mkt@x.vn", Role.MARKETING, NOW)
    with unit_of_work(db_url) as s, pytest.raises(Forbidden):
        scoring.import_model(s, manager, to_yaml(default_model()), NOW)
    with unit_of_work(db_url) as s:
        row = scoring.import_model(s, marketer, to_yaml(default_model()), NOW, activate=True)
        assert row.created_by == marketer.user_id
