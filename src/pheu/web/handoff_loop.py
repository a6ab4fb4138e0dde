"""The web app's background hand-off loop: every ``PHEU_HANDOFF_TICK_SECONDS`` it runs the same tick as
``pheu handoff tick``. Safe with several web processes: every step claims its rows with conditional updates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from fastapi import FastAPI

from pheu.config import get_settings
from pheu.services import speed_to_lead
from pheu.web.handoff_labels import notice_text

log = logging.getLogger(__name__)


async def _loop(url: str, every: int) -> None:
    settings = get_settings()
    while True:
        await asyncio.sleep(every)
        try:
            summary = await asyncio.to_thread(
                speed_to_lead.tick, url, settings, datetime.now(UTC), notice_text
            )
            if any(summary.as_json().values()):
                log.info("hand-off tick: %s", summary.as_json())
        except Exception:  # a bad tick must not stop the next one
            log.exception("hand-off tick failed")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    every = get_settings().handoff_tick_seconds
    task = asyncio.create_task(_loop(app.state.db_url, every)) if every > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
