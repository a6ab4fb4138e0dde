"""How long leads take between stages: median and 90th percentile, in hours.

A step's time is measured for the cohort leads that reached its later stage, from the moment they first
reached the earlier stage to the moment they first reached the later one (see ``paths``: a stage skipped is
passed through in no time, and moving back does not restart the clock). Lead-to-customer time runs from when
the lead became a lead (its creation) to when it first reached Customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from pheu.lifecycle import Stage
from pheu.measure.counts import step_hours
from pheu.measure.paths import FUNNEL, Journey
from pheu.measure.stats import percentile, rounded

STEPS: tuple[tuple[Stage, Stage], ...] = tuple(pairwise(FUNNEL))


@dataclass(frozen=True, slots=True)
class StepTime:
    """Time from ``from_stage`` to ``to_stage`` over ``leads`` leads; ``None`` figures when there are none."""

    name: str
    from_stage: Stage
    to_stage: Stage
    leads: int
    median_hours: float | None
    p90_hours: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_stage.value,
            "to": self.to_stage.value,
            "leads": self.leads,
            "median_hours": rounded(self.median_hours, 2),
            "p90_hours": rounded(self.p90_hours, 2),
        }


@dataclass(frozen=True, slots=True)
class Times:
    steps: tuple[StepTime, ...]
    lead_to_customer: StepTime

    def to_dict(self) -> dict[str, Any]:
        out = {step.name: step.to_dict() for step in self.steps}
        out["lead_to_customer"] = self.lead_to_customer.to_dict()
        return out


def stage_times(cohort: Sequence[Journey]) -> Times:
    """Median and p90 of each consecutive step, and of lead to customer, over the cohort."""
    return times_from_hours(step_hours(cohort))


def times_from_hours(hours: Mapping[str, Sequence[float]]) -> Times:
    """The figures from each step's durations in hours, keyed by ``counts.STEP_NAMES`` (missing = none).
    Reaching IQL is becoming a lead, so the IQL→Customer span is the lead-to-customer time."""
    steps = tuple(_step(hours.get(f"{a}_to_{b}", ()), f"{a}_to_{b}", a, b) for a, b in STEPS)
    return Times(
        steps, _step(hours.get("lead_to_customer", ()), "lead_to_customer", Stage.IQL, Stage.CUSTOMER)
    )


def _step(hours: Sequence[float], name: str, earlier: Stage, later: Stage) -> StepTime:
    return StepTime(name, earlier, later, len(hours), percentile(hours, 0.5), percentile(hours, 0.9))


def times_from_figures(figures: Mapping[str, tuple[int, float | None, float | None]]) -> Times:
    """The figures when the database worked them out (leads, median, p90 per step name, the same linear
    interpolation as ``stats.percentile``); a missing step has no leads."""

    def step(name: str, earlier: Stage, later: Stage) -> StepTime:
        leads, median, p90 = figures.get(name, (0, None, None))
        return StepTime(name, earlier, later, leads, median, p90)

    return Times(
        tuple(step(f"{a}_to_{b}", a, b) for a, b in STEPS),
        step("lead_to_customer", Stage.IQL, Stage.CUSTOMER),
    )
