"""The store: typed SQLAlchemy models. Import models from here."""

from pheu.store.audit import AuditEntry
from pheu.store.base import Base
from pheu.store.campaigns import Campaign, CampaignCost, Channel
from pheu.store.capture import (
    DuplicateCandidate,
    IdempotencyKey,
    Import,
    InboundPayload,
    LeadMerge,
    RejectedRecord,
)
from pheu.store.forms import Form
from pheu.store.leads import Consent, Event, Lead, StageChange
from pheu.store.people import ApiKey, Team, User
from pheu.store.scoring import BantCriteriaRow, LeadBant, ScoringModelVersion

__all__ = [
    "ApiKey",
    "AuditEntry",
    "BantCriteriaRow",
    "Base",
    "Campaign",
    "CampaignCost",
    "Channel",
    "Consent",
    "DuplicateCandidate",
    "Event",
    "Form",
    "IdempotencyKey",
    "Import",
    "InboundPayload",
    "Lead",
    "LeadBant",
    "LeadMerge",
    "RejectedRecord",
    "ScoringModelVersion",
    "StageChange",
    "Team",
    "User",
]
