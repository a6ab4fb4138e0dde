"""Request context for the API: who is asking (a Bearer API key), which database, what time it is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from pheu.auth.roles import Principal, Scope, has_scope
from pheu.db import unit_of_work
from pheu.services import users
from pheu.services.errors import Forbidden, Unauthorized

bearer = HTTPBearer(auto_error=False, description="An API key from `pheu apikey create`.")


@dataclass(frozen=True, slots=True)
class ApiContext:
    principal: Principal
    db_url: str
    now: datetime

    @contextmanager
    def uow(self) -> Iterator[Session]:
        with unit_of_work(self.db_url) as session:
            yield session


def _principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None, now: datetime
) -> Principal:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        with unit_of_work(request.app.state.db_url) as session:
            return users.principal_for_token(session, credentials.credentials, now)
    raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.")


def require(scope: Scope) -> Callable[..., ApiContext]:
    """A dependency that authenticates the caller and checks they hold ``scope``."""

    def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> ApiContext:
        now = datetime.now(UTC)
        principal = _principal(request, credentials, now)
        if not has_scope(principal, scope):
            raise Forbidden(f"This API key lacks the '{scope.value}' scope.")
        return ApiContext(principal=principal, db_url=request.app.state.db_url, now=now)

    return dependency
