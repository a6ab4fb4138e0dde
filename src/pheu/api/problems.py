"""RFC 9457 problem details for every error the API returns, so clients parse one shape.

Validation failures list each bad field with where it was (body, query, path) and what is accepted.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pheu.services.errors import ServiceError

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://pheu.dev/problems/"
log = logging.getLogger("pheu.api")


def problem(status: int, title: str, detail: str, *, code: str, instance: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code.split(":")[0].replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
}


def install(app: FastAPI) -> None:
    """Answer with problem details on API paths; pages keep their HTML error handling."""

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if exc.field:
            extra["errors"] = [{"field": exc.field, "message": exc.message}]
        return problem(
            exc.status,
            _TITLES.get(exc.status, "Error"),
            exc.message,
            code=exc.code,
            instance=request.url.path,
            **extra,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "location": str(err["loc"][0]) if err.get("loc") else "",
                "field": ".".join(str(p) for p in err.get("loc", ())[1:]),
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        fields = ", ".join(e["field"] or e["location"] for e in errors)
        return problem(
            422,
            "Invalid input",
            f"The request has {len(errors)} invalid field(s): {fields}.",
            code="validation",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if not request.url.path.startswith("/api/"):
            from pheu.web.errors import html_error  # pages render their own error page

            return await html_error(request, exc)
        return problem(
            exc.status_code,
            _TITLES.get(exc.status_code, "Error"),
            str(exc.detail),
            code=_TITLES.get(exc.status_code, "error").lower().replace(" ", "_"),
            instance=request.url.path,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem(
            500,
            "Internal error",
            "Something went wrong on our side; the request was not applied.",
            code="internal",
            instance=request.url.path,
        )
