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
from pheu.store.handoff import (
    Assignment,
    AssignmentRule,
    DayOff,
    HandoffSettings,
    LostReason,
    Notification,
    Task,
)
from pheu.store.leads import Consent, Event, Lead, StageChange
from pheu.store.people import ApiKey, Team, User
from pheu.store.scoring import BantCriteriaRow, LeadBant, ScoringModelVersion

__all__ = [
    "ApiKey",
    "Assignment",
    "AssignmentRule",
    "AuditEntry",
    "BantCriteriaRow",
    "Base",
    "Campaign",
    "CampaignCost",
    "Channel",
    "Consent",
    "DayOff",
    "DuplicateCandidate",
    "Event",
    "Form",
    "HandoffSettings",
    "IdempotencyKey",
    "Import",
    "InboundPayload",
    "Lead",
    "LeadBant",
    "LeadMerge",
    "LostReason",
    "Notification",
    "RejectedRecord",
    "ScoringModelVersion",
    "StageChange",
    "Task",
    "Team",
    "User",
]
