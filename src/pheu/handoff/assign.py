"""Sharing a batch of leads among a team's reps: round-robin, least-loaded, or weighted by capacity.

Decisions are made over the whole batch at once, each one counting the leads already given in it, so 10,000
leads arriving together spread as evenly as one at a time would. A rep is a candidate for a lead when they
are available (not away, not off today) and speak the lead's language (a rep without languages speaks all);
reps at work right now are preferred over reps whose working day has not started or has ended. When nobody
in the team can take the lead, it waits in the team unassigned, and the decision says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pheu.handoff.rules import LeadFacts, Rule, first_match


class Reason(StrEnum):
    """Why a lead went where it went; the UI translates these codes."""

    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    WEIGHTED = "weighted"
    NO_REP_AVAILABLE = "no_rep_available"
    NO_RULE = "no_rule"
    MANUAL = "manual"


@dataclass(slots=True)
class RepState:
    """A rep as assignment sees them: ``load`` is their open leads now (it grows as the batch is shared),
    ``available`` false when away or off today, ``working_now`` true when inside their hours right now."""

    id: int
    team_id: int
    capacity: int = 1
    load: int = 0
    available: bool = True
    working_now: bool = True
    languages: frozenset[str] | None = None

    def speaks(self, language: str | None) -> bool:
        return not self.languages or language is None or language in self.languages


@dataclass(frozen=True, slots=True)
class Decision:
    lead_id: int
    rule_id: int | None
    team_id: int | None
    user_id: int | None
    reason: Reason


@dataclass(slots=True)
class TeamState:
    """A team's reps (in id order) and who was last given a lead by round-robin."""

    reps: list[RepState]
    last_rep_id: int | None = None


def _candidates(team: TeamState, lead: LeadFacts) -> list[RepState]:
    pool = [r for r in team.reps if r.available]
    at_work = [r for r in pool if r.working_now] or pool
    speaking = [r for r in at_work if r.speaks(lead.language)]
    return speaking or at_work


def _round_robin(team: TeamState, candidates: list[RepState]) -> RepState:
    last = team.last_rep_id
    after = [r for r in candidates if last is not None and r.id > last]
    chosen = after[0] if after else candidates[0]
    team.last_rep_id = chosen.id
    return chosen


def choose(team: TeamState, strategy: str, lead: LeadFacts) -> RepState | None:
    """The rep the strategy gives this lead to (their load is counted up), or None when nobody can take it.
    Ties go to the lower rep id, so a decision is reproducible."""
    candidates = _candidates(team, lead)
    if not candidates:
        return None
    if strategy == "least_loaded":
        chosen = min(candidates, key=lambda r: (r.load, r.id))
    elif strategy == "weighted":
        chosen = min(candidates, key=lambda r: ((r.load + 1) / max(r.capacity, 1), r.id))
    else:
        chosen = _round_robin(team, sorted(candidates, key=lambda r: r.id))
    chosen.load += 1
    return chosen


def assign_batch(
    leads: Sequence[LeadFacts], rules: Sequence[Rule], teams: Mapping[int, TeamState]
) -> list[Decision]:
    """One decision per lead, in the order given: the first matching rule picks the team, its strategy the
    rep. ``teams`` is updated (loads, round-robin position) as the batch is shared."""
    decisions: list[Decision] = []
    for lead in leads:
        rule = first_match(rules, lead)
        if rule is None:
            decisions.append(Decision(lead.id, None, None, None, Reason.NO_RULE))
            continue
        team = teams.get(rule.team_id)
        rep = choose(team, rule.strategy, lead) if team is not None else None
        if rep is None:
            decisions.append(Decision(lead.id, rule.id, rule.team_id, None, Reason.NO_REP_AVAILABLE))
        else:
            decisions.append(Decision(lead.id, rule.id, rule.team_id, rep.id, Reason(rule.strategy)))
    return decisions
