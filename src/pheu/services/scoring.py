"""Scoring models: import, list, activate and export the versions marketing and sales agree on.

A version is immutable once stored: importing the same name and version again with the same rules is a
harmless repeat, with other rules a conflict (raise the version). Exactly one version is active; until a team
stores one, Phễu scores with the built-in default (``pheu.score.defaults``), which ``export`` writes out as
the starting point to edit.

Who may change models: admins and marketers (``can_change_models``). Scoring itself (``scoring_lead``,
``scoring_bulk``) only reads the active model, cached per YAML text so an event does not parse it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from pheu.auth.roles import Principal, Role
from pheu.score import ModelError, Problem, ScoringModel, default_model, from_yaml, to_yaml
from pheu.score.model_yaml import from_dict
from pheu.services import audit
from pheu.services.errors import Conflict, Forbidden, Invalid, NotFound
from pheu.store import ScoringModelVersion

MODEL_EDITORS = frozenset({Role.ADMIN, Role.MARKETING})


class InvalidModel(Invalid):
    """A model that cannot be used; ``problems`` lists every reason, each naming its rule and setting."""

    code = "invalid_model"

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        count = len(problems)
        lines = "; ".join(str(p) for p in problems)
        super().__init__(f"The scoring model has {count} problem(s): {lines}", field=problems[0].where)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ActiveModel:
    """The model scoring uses now; ``row_id`` is ``None`` while the built-in default stands in."""

    row_id: int | None
    model: ScoringModel


def can_change_models(principal: Principal | None) -> bool:
    """``None`` is the operator at the command line, who runs the installation."""
    return principal is None or principal.role in MODEL_EDITORS


def require_model_editor(principal: Principal | None) -> None:
    if not can_change_models(principal):
        raise Forbidden("Only an admin or a marketer can change scoring models.")


@lru_cache(maxsize=32)
def parse(text: str) -> ScoringModel:
    """The model in ``text``; raise ``InvalidModel``. Cached: a stored version's text never changes."""
    try:
        return from_yaml(text)
    except ModelError as exc:
        raise InvalidModel(exc.problems) from exc


@lru_cache(maxsize=1)
def builtin() -> ScoringModel:
    return default_model()


def active_model(session: Session) -> ActiveModel:
    row = session.execute(
        select(ScoringModelVersion.id, model_key(session)).where(ScoringModelVersion.active)
    ).first()
    return model_for(session, None if row is None else int(row[0]), None if row is None else str(row[1]))


def model_key(session: Session) -> ColumnElement[str] | InstrumentedAttribute[str]:
    """What identifies a stored model's rules for the cache, computed by the database: PostgreSQL sends a
    digest instead of the whole text; SQLite is in-process, where the text itself costs nothing to read."""
    if session.get_bind().dialect.name == "postgresql":
        return func.md5(ScoringModelVersion.yaml)
    return ScoringModelVersion.yaml


_BY_KEY: dict[str, ScoringModel] = {}


def model_for(session: Session, row_id: int | None, key: str | None) -> ActiveModel:
    """The active model from its row id and ``model_key``; parsed once per distinct text per process."""
    if row_id is None or key is None:
        return ActiveModel(None, builtin())
    model = _BY_KEY.get(key)
    if model is None:
        text = key if session.get_bind().dialect.name != "postgresql" else get_model(session, row_id).yaml
        model = parse(text)
        if len(_BY_KEY) >= 32:
            _BY_KEY.pop(next(iter(_BY_KEY)))
        _BY_KEY[key] = model
    return ActiveModel(row_id, model)


def list_models(session: Session) -> list[ScoringModelVersion]:
    """Every stored version, newest first."""
    stmt = select(ScoringModelVersion).order_by(
        ScoringModelVersion.created_at.desc(), ScoringModelVersion.id.desc()
    )
    return list(session.scalars(stmt))


def get_model(session: Session, model_id: int) -> ScoringModelVersion:
    row = session.get(ScoringModelVersion, model_id)
    if row is None:
        raise NotFound(f"No scoring model with id {model_id}.")
    return row


def read_model(source: str | Mapping[str, Any]) -> tuple[ScoringModel, str]:
    """A model from YAML text or already-loaded data (a JSON body), and the YAML to store: text as given
    (comments kept for the next person to edit it), data as written by ``to_yaml``."""
    try:
        model = from_yaml(source) if isinstance(source, str) else from_dict(dict(source))
    except ModelError as exc:
        raise InvalidModel(exc.problems) from exc
    return model, source if isinstance(source, str) else to_yaml(model)


def import_model(
    session: Session,
    principal: Principal | None,
    source: str | Mapping[str, Any],
    now: datetime,
    *,
    activate: bool = False,
) -> ScoringModelVersion:
    """Store a model version (``InvalidModel`` listing every problem; ``Conflict`` when that name and version
    exist with other rules). Importing the same version again returns the stored row."""
    require_model_editor(principal)
    model, text = read_model(source)
    existing = session.scalar(
        select(ScoringModelVersion).where(
            ScoringModelVersion.name == model.name, ScoringModelVersion.version == model.version
        )
    )
    if existing is not None:
        if parse(existing.yaml) != model:
            newest = session.scalar(
                select(ScoringModelVersion.version)
                .where(ScoringModelVersion.name == model.name)
                .order_by(ScoringModelVersion.version.desc())
                .limit(1)
            )
            raise Conflict(
                f"Version {model.version} of model '{model.name}' is already stored with other rules; "
                f"stored versions never change. Set 'version: {(newest or 0) + 1}' and import again.",
                field="version",
            )
        row = existing
    else:
        row = ScoringModelVersion(
            name=model.name,
            version=model.version,
            yaml=text,
            active=False,
            created_at=now,
            created_by=principal.user_id if principal else None,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            at=now,
            actor=principal,
            actor_label=None if principal else "cli",
            action="create",
            entity="scoring_model",
            entity_id=row.id,
            changes={"name": model.name, "version": model.version},
        )
    if activate:
        activate_model(session, principal, row.id, now)
    return row


def activate_model(
    session: Session, principal: Principal | None, model_id: int, now: datetime
) -> ScoringModelVersion:
    """Make one version the active one. Scores are not recomputed here: run ``scoring_bulk.rescore_all``
    after the commit (the API and CLI do)."""
    require_model_editor(principal)
    row = get_model(session, model_id)
    if row.active:
        return row
    previous = session.scalar(select(ScoringModelVersion.id).where(ScoringModelVersion.active))
    session.execute(
        update(ScoringModelVersion).where(ScoringModelVersion.active).values(active=False),
        execution_options={"synchronize_session": "fetch"},
    )
    row.active = True
    row.activated_at = now
    try:
        session.flush()
    except IntegrityError as exc:  # the partial unique index: another activation won the race
        raise Conflict("Another scoring model was activated at the same moment; try again.") from exc
    audit.record(
        session,
        at=now,
        actor=principal,
        actor_label=None if principal else "cli",
        action="activate",
        entity="scoring_model",
        entity_id=row.id,
        changes={"active": [previous, row.id], "model": row.label},
    )
    return row


def export_model(session: Session, model_id: int | None = None) -> str:
    """YAML of a stored version, of the active one by default, or of the built-in default if none is."""
    if model_id is not None:
        return get_model(session, model_id).yaml
    row = session.scalar(select(ScoringModelVersion).where(ScoringModelVersion.active))
    return row.yaml if row is not None else to_yaml(builtin())


def ensure_default(session: Session, now: datetime) -> ScoringModelVersion:
    """Store the built-in default as the active model when no model is active yet (the demo does this)."""
    row = session.scalar(select(ScoringModelVersion).where(ScoringModelVersion.active))
    if row is not None:
        return row
    return import_model(session, None, to_yaml(builtin()), now, activate=True)
