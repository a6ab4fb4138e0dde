"""Pure demo-data generation: rows ready for ``insert(Table)``, numbered so foreign keys line up.

Nothing here reads the clock or touches a database: ``now`` and a ``random.Random`` come in, so a seed
reproduces the same pipeline exactly. Big pipelines are produced in chunks (``iter_lead_chunks``) so a
hundred thousand leads and their million events never need to sit in memory at once.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pheu.demo.catalogue import DEMO_USERS, Catalogue, DemoUser, build_catalogue
from pheu.demo.contacts import ContactBook
from pheu.demo.leads import make_lead

Row = dict[str, Any]

__all__ = [
    "DEMO_USERS",
    "Catalogue",
    "DemoData",
    "DemoUser",
    "LeadChunk",
    "build_catalogue",
    "generate",
    "iter_lead_chunks",
]


@dataclass
class LeadChunk:
    """A run of consecutive leads with their children; each list's dict keys are its table's columns."""

    leads: list[Row] = field(default_factory=list)
    stage_changes: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    consents: list[Row] = field(default_factory=list)


@dataclass
class DemoData:
    """The whole demo as lists of rows keyed by column name. ``users`` carry an empty ``password_hash``."""

    channels: list[Row]
    campaigns: list[Row]
    campaign_costs: list[Row]
    teams: list[Row]
    users: list[Row]
    leads: list[Row] = field(default_factory=list)
    consents: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    stage_changes: list[Row] = field(default_factory=list)


def _number(rows: list[Row], start: int) -> int:
    for offset, row in enumerate(rows):
        row["id"] = start + offset
    return start + len(rows)


def iter_lead_chunks(catalogue: Catalogue, rng: random.Random, chunk_size: int = 5000) -> Iterator[LeadChunk]:
    """Leads 1..``catalogue.n_leads`` in chunks of up to ``chunk_size``, with stage changes, events and
    consents numbered from 1 across all chunks. Draws from ``rng`` in order, so consume the chunks in order."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    book = ContactBook()
    next_change = next_event = next_consent = 1
    for first in range(1, catalogue.n_leads + 1, chunk_size):
        chunk = LeadChunk()
        for lead_id in range(first, min(first + chunk_size, catalogue.n_leads + 1)):
            bundle = make_lead(lead_id, catalogue, rng, book)
            chunk.leads.append(bundle.lead)
            chunk.stage_changes.extend(bundle.stage_changes)
            chunk.events.extend(bundle.events)
            chunk.consents.extend(bundle.consents)
        next_change = _number(chunk.stage_changes, next_change)
        next_event = _number(chunk.events, next_event)
        next_consent = _number(chunk.consents, next_consent)
        yield chunk


def generate(n_leads: int, now: datetime, rng: random.Random) -> DemoData:
    """The full demo in memory: six months ending at ``now`` (timezone-aware), ``n_leads`` leads.

    For very large ``n_leads`` prefer ``build_catalogue`` + ``iter_lead_chunks``, which stream.
    """
    if n_leads < 0:
        raise ValueError("n_leads must not be negative")
    catalogue = build_catalogue(n_leads, now, rng)
    data = DemoData(
        channels=catalogue.channels_rows,
        campaigns=catalogue.campaigns_rows,
        campaign_costs=catalogue.costs_rows,
        teams=catalogue.teams_rows,
        users=catalogue.users_rows,
    )
    for chunk in iter_lead_chunks(catalogue, rng):
        data.leads.extend(chunk.leads)
        data.stage_changes.extend(chunk.stage_changes)
        data.events.extend(chunk.events)
        data.consents.extend(chunk.consents)
    return data
