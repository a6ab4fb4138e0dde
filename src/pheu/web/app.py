"""The application factory: API, pages, static files and error handling wired together."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Literal

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from pheu.api import problems, v1
from pheu.config import get_settings
from pheu.services import form_lander
from pheu.web import handoff_loop

STATIC = Path(__file__).parent / "static"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The hand-off loop, and with queued form landing the lander process beside this web process."""
    lander = watch = None
    if app.state.form_landing == "queued":
        lander = form_lander.LanderProcess(app.state.db_url)
        lander.start()
        app.state.form_lander = lander
        watch = asyncio.create_task(_watch(lander))
    try:
        async with handoff_loop.lifespan(app):
            yield
    finally:
        if watch is not None:
            watch.cancel()
            with suppress(asyncio.CancelledError):
                await watch
        if lander is not None:
            await asyncio.to_thread(lander.stop)


async def _watch(lander: form_lander.LanderProcess, every: float = 2.0) -> None:
    """Start a new lander when the one beside this web process died: until then submissions would only be
    stored, never landed."""
    while True:
        await asyncio.sleep(every)
        lander.restart_if_dead()


def served_app(db_url: str | None = None) -> FastAPI:
    """The app as ``pheu serve`` and ``pheu demo`` run it: form submissions are answered once stored and a
    lander process lands them, and the app's own objects are frozen out of the garbage collector's sight.

    Why freeze: the app's objects (routes, models, metadata, the template environment) are there for good,
    yet every full collection walked them all: 70-80 ms each, two or three times a second under a burst of
    form posts, and each one held up every answer in flight (they made the p99: 100 ms before, 36 ms after,
    on PostgreSQL). Frozen, a full collection walks only what requests create. Only for a process that
    serves one app for its life: in one that builds many (the tests), frozen objects are never collected."""
    app = create_app(db_url, form_landing="queued")
    gc.collect()
    gc.freeze()
    return app


def create_app(
    db_url: str | None = None, *, form_landing: Literal["inline", "queued"] | None = None
) -> FastAPI:
    """The app; ``form_landing`` as ``Settings.form_landing`` says unless given."""
    settings = get_settings()
    app = FastAPI(
        title="Phễu API",
        version="1",
        summary="Lead management: capture, clean, classify, score, hand off, measure.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        lifespan=_lifespan,
        # FastAPI's own OpenTelemetry hooks ask the global providers (and the environment) on every request
        # whether anyone listens; Phễu exports no traces, so they are switched off rather than asked.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.db_url = db_url or settings.database_url
    app.state.form_landing = form_landing or settings.form_landing
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="pheu_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.https_only_cookies,
    )
    problems.install(app)
    from pheu.web import pages_forms, public_forms

    # First: routes are matched in order, and the public form posts are the traffic that comes in bursts.
    app.include_router(public_forms.router)
    app.include_router(v1.router)
    from pheu.api import webhooks as ad_webhooks  # signed by the platforms, no API key

    app.include_router(ad_webhooks.router)
    from pheu.web import errors, pages

    errors.install(app)
    app.include_router(pages.router)
    app.include_router(pages_forms.router)
    from pheu.api import batch as api_batch
    from pheu.web import pages_duplicates, pages_rejected

    app.include_router(api_batch.router)
    app.include_router(pages_duplicates.router)
    app.include_router(pages_rejected.router)
    from pheu.web import pages_import

    app.include_router(pages_import.router)
    from pheu.api import scoring as api_scoring

    app.include_router(api_scoring.router)
    from pheu.web import pages_scoring, pages_scoring_lead

    app.include_router(pages_scoring.router)
    app.include_router(pages_scoring_lead.router)
    from pheu.api import reports as api_reports
    from pheu.web import pages_costs, pages_reports

    app.include_router(api_reports.router)
    app.include_router(pages_reports.router)
    app.include_router(pages_costs.router)
    from pheu.api import tasks as api_tasks  # tasks, queue, calls, calendar, won / lost / recycle

    app.include_router(api_tasks.router)
    from pheu.web import pages_calendar, pages_queue, pages_tasks

    app.include_router(pages_tasks.router)
    app.include_router(pages_queue.router)
    app.include_router(pages_calendar.router)
    from pheu.web import pages_lost_reasons

    app.include_router(pages_lost_reasons.router)
    from pheu.api import handoff as api_handoff  # rules, settings, reassign, overdue, notifications, team

    app.include_router(api_handoff.router)
    from pheu.web import pages_handoff_rules, pages_handoff_settings, pages_handoff_team

    app.include_router(pages_handoff_rules.router)
    app.include_router(pages_handoff_settings.router)
    app.include_router(pages_handoff_team.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
