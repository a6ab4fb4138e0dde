"""A rep's tasks as an iCalendar feed (RFC 5545), for Google Calendar, Outlook or a phone.

Each task is one VEVENT whose UID is derived from the task id and the site's host, so a calendar app that
polls the feed updates the same event when a task moves instead of adding a copy. Times are written in the
team's time zone (Asia/Ho_Chi_Minh by default) with its VTIMEZONE, so apps that ignore UTC offsets still show
the right hour. A done or cancelled task stays in the feed with ``STATUS:CANCELLED`` (cancelled) or a ✓ in its
title (done), so it disappears from nobody's phone by surprise.

Pure: the tasks, the host and ``now`` (for DTSTAMP) are passed in; the result is the feed's bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

DEFAULT_LENGTH: Final = {"call": timedelta(minutes=15), "email": timedelta(minutes=15)}
MEETING_LENGTH: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class CalendarTask:
    task_id: int
    kind: str
    title: str
    due_at: datetime
    ends_at: datetime | None
    status: str
    lead_name: str
    lead_url: str
    phone: str | None = None
    notes: str | None = None
    updated_at: datetime | None = None


def task_uid(task_id: int, host: str) -> str:
    """Stable for the life of the task: the same task is the same event in every download."""
    return f"task-{task_id}@{host}"


def _event(task: CalendarTask, *, host: str, zone: ZoneInfo, now: datetime) -> Event:
    event = Event()
    start = task.due_at.astimezone(zone)
    end = (task.ends_at or task.due_at + DEFAULT_LENGTH.get(task.kind, MEETING_LENGTH)).astimezone(zone)
    title = f"{task.title} — {task.lead_name}" if task.title else task.lead_name
    if task.status == "done":
        title = f"✓ {title}"
    event.add("uid", task_uid(task.task_id, host))
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", max(end, start))
    event.add("summary", title)
    event.add("categories", [task.kind])
    event.add("url", task.lead_url)
    event.add("status", "CANCELLED" if task.status == "cancelled" else "CONFIRMED")
    if task.updated_at is not None:
        event.add("last-modified", task.updated_at)
    lines = [line for line in (task.phone, task.notes, task.lead_url) if line]
    if lines:
        event.add("description", "\n".join(lines))
    return event


def build_feed(
    tasks: Iterable[CalendarTask], *, name: str, host: str, now: datetime, timezone: str = "Asia/Ho_Chi_Minh"
) -> bytes:
    """The VCALENDAR holding one VEVENT per task, with the time zone's definition."""
    zone = ZoneInfo(timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Phễu//Hand-off tasks//VI")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone)
    for task in tasks:
        calendar.add_component(_event(task, host=host, zone=zone, now=now))
    calendar.add_missing_timezones()
    feed: bytes = calendar.to_ical()
    return feed
