"""Stage histories: how far each demo lead got, when, and who moved it.

Every step of the sales funnel is a draw whose odds scale with the channel's quality, so referral and event
leads convert several times better than bought lists. A step whose time would fall after ``now`` has not
happened yet, which is why the newest leads are still early in the funnel — as in a real pipeline.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from pheu.demo import vocab_business as biz
from pheu.demo.catalogue import ADMIN_ID, DEMO_USERS, MARKETING_ID, NORTH_REP, SOUTH_REPS
from pheu.demo.timeline import after, working_time
from pheu.demo.weighted import Weighted

FUNNEL: Final = ("iql", "mql", "sql", "opportunity", "customer")
_NEXT: Final = {"iql": "mql", "mql": "sql", "sql": "opportunity", "opportunity": "customer"}
_BACK: Final = {"mql": "iql", "sql": "mql", "opportunity": "sql"}
_BASE_ADVANCE: Final = {"iql": 0.35, "mql": 0.40, "sql": 0.45, "opportunity": 0.35}
_MAX_ADVANCE: Final = {"iql": 0.9, "mql": 0.85, "sql": 0.85, "opportunity": 0.8}
# For leads that do not move on: (lost, disqualified, moved back) odds; the rest stay where they are.
_EXITS: Final = {
    "iql": (0.08, 0.03, 0.0),
    "mql": (0.30, 0.03, 0.06),
    "sql": (0.50, 0.02, 0.08),
    "opportunity": (0.65, 0.01, 0.05),
}
# Median hours before each kind of move from each stage.
_ADVANCE_HOURS: Final = {"iql": 40.0, "mql": 96.0, "sql": 160.0, "opportunity": 330.0}
_LOST_HOURS: Final = {"iql": 24.0 * 28, "mql": 24.0 * 14, "sql": 24.0 * 14, "opportunity": 24.0 * 20}
_LOST: Final = Weighted(biz.LOST_REASONS)
_DISQUALIFIED: Final = Weighted(biz.DISQUALIFY_REASONS)
_USER_NAMES: Final = {u.id: u.name for u in DEMO_USERS}
MODEL_LABEL: Final = "Mô hình chấm điểm v1"


@dataclass(frozen=True, slots=True)
class Move:
    from_stage: str | None
    to_stage: str
    at: datetime
    actor_type: str
    actor_user_id: int | None
    actor_label: str
    reason: str


@dataclass(slots=True)
class History:
    moves: list[Move] = field(default_factory=list)
    owner_id: int | None = None
    furthest: str = "iql"

    @property
    def stage(self) -> str:
        return self.moves[-1].to_stage

    @property
    def at(self) -> datetime:
        return self.moves[-1].at


def _user(user_id: int) -> tuple[str, int | None, str]:
    return "user", user_id, _USER_NAMES[user_id]


def _rep_for(region: str, rng: random.Random) -> int:
    return NORTH_REP if region == "north" else SOUTH_REPS.pick(rng)


class _Pipeline:
    """One lead's walk through the funnel; ``step`` returns False once nothing more happens before now."""

    def __init__(self, history: History, now: datetime, quality: float, region: str, rng: random.Random):
        self.h = history
        self.now = now
        self.quality = quality
        self.region = region
        self.rng = rng
        self.moved_back = False

    def record(self, to: str, at: datetime, actor: tuple[str, int | None, str], reason: str) -> bool:
        if at > self.now:
            return False
        self.h.moves.append(Move(self.h.stage, to, at, actor[0], actor[1], actor[2], reason))
        if to in FUNNEL and FUNNEL.index(to) > FUNNEL.index(self.h.furthest):
            self.h.furthest = to
        return True

    def owner(self) -> int:
        if self.h.owner_id is None:
            self.h.owner_id = _rep_for(self.region, self.rng)
        return self.h.owner_id

    def human(self) -> tuple[str, int | None, str]:
        """Whoever works the lead now: its rep, or marketing while nobody owns it."""
        return _user(self.h.owner_id if self.h.owner_id is not None else MARKETING_ID)

    def step(self, hot: bool) -> bool:
        stage, rng = self.h.stage, self.rng
        if stage == "lost":
            if self.moved_back or rng.random() >= 0.10:
                return False
            self.moved_back = True
            at = after(self.h.at, 24 * 40, rng, 0.6)
            return self.record("mql", at, ("model", None, MODEL_LABEL), biz.RECYCLE_REASONS["lost"])
        if stage not in _NEXT:
            return False
        factor = self.quality if stage == "iql" else math.sqrt(self.quality)
        if rng.random() < min(_BASE_ADVANCE[stage] * factor, _MAX_ADVANCE[stage]):
            return self._advance(stage, hot)
        lost, disqualified, back = _EXITS[stage]
        disqualified /= self.quality
        draw = rng.random()
        if draw < lost:
            return self._lose(stage)
        if draw < lost + disqualified:
            at = working_time(after(self.h.at, 20 if stage == "iql" else 72, rng), rng)
            return self.record("disqualified", at, self.human(), _DISQUALIFIED.pick(rng))
        if draw < lost + disqualified + back and not self.moved_back:
            self.moved_back = True
            target = _BACK[stage]
            at = working_time(after(self.h.at, 24 * 21, rng, 0.5), rng)
            return self.record(target, at, self.human(), biz.RECYCLE_REASONS[target])
        return False

    def _advance(self, stage: str, hot: bool) -> bool:
        rng = self.rng
        target = _NEXT[stage]
        if stage == "iql" and hot and rng.random() < 0.15:
            target = "sql"
        at = after(self.h.at, _ADVANCE_HOURS[stage], rng)
        if target == "mql":
            if rng.random() < 0.3:
                self.owner()
            return self.record(
                "mql", at, ("model", None, MODEL_LABEL), rng.choice(biz.ADVANCE_REASONS["mql"])
            )
        self.owner()
        return self.record(
            target, working_time(at, rng), self.human(), rng.choice(biz.ADVANCE_REASONS[target])
        )

    def _lose(self, stage: str) -> bool:
        rng = self.rng
        at = after(self.h.at, _LOST_HOURS[stage], rng, 0.6)
        if stage == "iql":
            reason = rng.choice(("Chưa có nhu cầu", "Không liên lạc được"))
            return self.record("lost", at, ("system", None, "Chuỗi nuôi dưỡng"), reason)
        return self.record("lost", working_time(at, rng), self.human(), _LOST.pick(rng))


def sales_history(
    created_at: datetime,
    now: datetime,
    rng: random.Random,
    *,
    quality: float,
    region: str,
    imported: bool = False,
    hot: bool = False,
) -> History:
    """The moves of a sales lead from its creation (``iql``) to wherever it is at ``now``.

    ``quality`` is the channel's conversion multiplier; ``hot`` marks leads that asked for a consultation
    or a trial, some of whom sales accepts straight away.
    """
    first = ("import", None, "Nhập danh sách") if imported else ("system", None, "Biểu mẫu")
    history = History()
    history.moves.append(Move(None, "iql", created_at, first[0], first[1], first[2], "Lead mới"))
    pipeline = _Pipeline(history, now, quality, region, rng)
    for _ in range(12):
        if not pipeline.step(hot):
            break
    return history


def recruitment_history(created_at: datetime, now: datetime, rng: random.Random) -> History:
    """Applicant → interview → hired, with rejections; hiring is done by the owner (the admin user)."""
    history = History(furthest="applicant")
    history.moves.append(
        Move(None, "applicant", created_at, "system", None, "Trang tuyển dụng", "Ứng tuyển mới")
    )
    hr = _user(ADMIN_ID)
    draw = rng.random()
    at = working_time(after(created_at, 72, rng, 0.6), rng)
    if at > now or draw >= 0.8:
        return history
    if draw < 0.45:
        history.moves.append(Move("applicant", "rejected", at, *hr, rng.choice(biz.REJECT_REASONS)))
        return history
    history.moves.append(Move("applicant", "interview", at, *hr, biz.ADVANCE_REASONS["interview"][0]))
    at = working_time(after(at, 24 * 7, rng, 0.5), rng)
    draw = rng.random()
    if at > now or draw >= 0.85:
        return history
    if draw < 0.3:
        history.moves.append(Move("interview", "hired", at, *hr, biz.ADVANCE_REASONS["hired"][0]))
    else:
        history.moves.append(Move("interview", "rejected", at, *hr, rng.choice(biz.REJECT_REASONS)))
    return history
