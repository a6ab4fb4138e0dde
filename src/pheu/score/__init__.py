"""Lead scoring, pure: models as data (``model``, ``model_yaml``, ``defaults``), the per-lead engine
(``engine``), stage proposals and "what next" (``stages``), BANT (``bant``), set-wise rescoring (``bulk``) and
backtests (``replay``, ``backtest``). No database, no clock, no logging: services call these with values.
"""

from __future__ import annotations

from pheu.score.bant import Bant, BantCriteria, meets
from pheu.score.defaults import default_model
from pheu.score.engine import Contribution, ScoreResult, score
from pheu.score.facts import EventFact, LeadFacts
from pheu.score.model import ModelError, ScoringModel
from pheu.score.model_yaml import from_yaml, to_yaml
from pheu.score.problems import Problem
from pheu.score.stages import Proposal, next_stage, what_next

__all__ = [
    "Bant",
    "BantCriteria",
    "Contribution",
    "EventFact",
    "LeadFacts",
    "ModelError",
    "Problem",
    "Proposal",
    "ScoreResult",
    "ScoringModel",
    "default_model",
    "from_yaml",
    "meets",
    "next_stage",
    "score",
    "to_yaml",
    "what_next",
]
