"""COPYs sent from a thread of their own, so the writer builds its next rows while PostgreSQL indexes the last.

An import chunk is a handful of statements on one connection, and PostgreSQL spends longer on each COPY
(every index of ``leads``, the foreign keys of the child tables) than the importing process spends building
it. Done in turn, the two wait on each other and a 2-core machine runs one core at a time. With a lane, a
COPY is queued to a single thread and the caller goes on with work that needs no database (the capture
events, the new leads' scores); the thread waits on the server with the GIL released.

Order and atomicity stay those of the one connection and its one transaction: the lane's thread runs the
COPYs in the order they were queued, and before any other statement, commit or rollback goes out on the
connection, the caller's thread waits for the queue to drain (a listener on the SQLAlchemy connection), so
a statement never overtakes a COPY it may depend on and no query runs while the connection is busy. A COPY
that fails raises in the caller at that point, and the transaction rolls back as if it had been sent
inline. On SQLite there is no COPY and no lane.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any, Final

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

_KEY: Final = "pheu.copy_lane"
_WAIT_BEFORE: Final = ("before_cursor_execute", "commit", "rollback")


class CopyFailed(Exception):
    """A COPY sent on a lane failed; raised in the caller's thread at its next statement (so SQLAlchemy's
    message would otherwise name that statement, not the COPY). The driver's error is the cause."""


class CopyLane:
    """The queue of COPYs of one session's transaction; see the module's docstring."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._pool: ThreadPoolExecutor | None = None  # made at the first COPY: a small batch sends none
        self._pending: list[tuple[str, Future[None]]] = []

    def submit(self, table: str, send: Callable[[], None]) -> None:
        """Queue ``send``, the COPY into ``table``; it must use the driver connection and nothing else."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pheu-copy")
            for name in _WAIT_BEFORE:
                event.listen(self._connection, name, self._drain_hook)
        self._pending.append((table, self._pool.submit(send)))

    def drain(self) -> None:
        """Wait for every queued COPY; the first failure is raised once all have ended, so nothing is
        still using the connection when the caller rolls back."""
        pending, self._pending = self._pending, []
        failure: tuple[str, BaseException] | None = None
        for table, future in pending:
            error = future.exception()
            if failure is None and error is not None:
                failure = (table, error)
        if failure is not None:
            table, error = failure
            raise CopyFailed(f"COPY into {table} failed: {error}") from error

    def close(self) -> None:
        if self._pool is None:
            return
        for name in _WAIT_BEFORE:
            event.remove(self._connection, name, self._drain_hook)
        self._pool.shutdown(wait=True)

    def _drain_hook(self, *_: Any, **__: Any) -> None:
        self.drain()


def lane_of(session: Session) -> CopyLane | None:
    lane = session.info.get(_KEY)
    return lane if isinstance(lane, CopyLane) else None


@contextmanager
def overlapped(session: Session) -> Iterator[None]:
    """Within the block, COPYs of ``session`` (``store.bulk``) go through a lane; on leaving it, all have
    ended, and a failure among them is raised unless the block is already raising."""
    if lane_of(session) is not None or session.get_bind().dialect.name != "postgresql":
        yield
        return
    lane = CopyLane(session.connection())
    session.info[_KEY] = lane
    try:
        yield
    except BaseException:
        with suppress(Exception):  # the block's own error is the one to report; the transaction rolls back
            lane.drain()
        raise
    else:
        lane.drain()
    finally:
        del session.info[_KEY]
        lane.close()
