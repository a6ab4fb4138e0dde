"""The lead list's filters as they travel in the URL, so a filtered list can be bookmarked and shared.

Parsing is forgiving: an unknown stage, a malformed date or a stray parameter is dropped rather than
answered with an error page, because these URLs are typed, edited and pasted by people.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any, Final, get_args
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from pheu.lifecycle import SALES_FUNNEL, LeadKind, Stage
from pheu.services.schemas import LeadQuery, SortKey
from pheu.web.format import start_of_day

PAGE_SIZE: Final = 50
DEFAULT_SORT: Final = "-created_at"
SORT_KEYS: Final[tuple[str, ...]] = get_args(SortKey)
# Column → sort field; a column's first click sorts the way a person expects (names A–Z, the rest newest or
# highest first).
SORT_COLUMNS: Final[dict[str, tuple[str, bool]]] = {
    "name": ("name", False),
    "score": ("score", True),
    "created": ("created_at", True),
    "updated": ("updated_at", True),
}
_STAGES: Final = frozenset(s.value for s in Stage)
_KINDS: Final = frozenset(k.value for k in LeadKind)
_FUNNEL: Final = frozenset(s.value for s in SALES_FUNNEL)
# The filters a report figure's link adds (see pheu.web.pages_reports): shown as chips, not form fields.
DRILL_FIELDS: Final = ("reached", "reached_from", "reached_to", "bought", "team")
_MAX_Q: Final = 200


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


@dataclass(frozen=True, slots=True)
class LeadFilters:
    q: str = ""
    stage: tuple[str, ...] = ()
    kind: str = ""
    channel: str = ""
    campaign: int | None = None
    owner: str = ""  # a user id, or "none" for leads nobody owns
    created_from: date | None = None
    created_to: date | None = None
    # The leads behind a report figure: reached a funnel stage (first doing so between the reached_ dates),
    # bought lists ("1") or everything else ("0"), a team's leads.
    reached: str = ""
    reached_from: date | None = None
    reached_to: date | None = None
    bought: str = ""
    team: int | None = None
    sort: str = DEFAULT_SORT
    cursor: str = ""

    @classmethod
    def parse(cls, params: QueryParams, *, owner_filter: bool) -> LeadFilters:
        """Read the filters from a query string; ``owner_filter`` is off for people who see only their own."""
        owner = params.get("owner", "")
        if not owner_filter or not (owner == "none" or _int(owner) is not None):
            owner = ""
        sort = params.get("sort", DEFAULT_SORT)
        return cls(
            q=" ".join(params.get("q", "").split())[:_MAX_Q],
            stage=tuple(s for s in dict.fromkeys(params.getlist("stage")) if s in _STAGES),
            kind=params.get("kind", "") if params.get("kind") in _KINDS else "",
            channel=params.get("channel", "")[:40],
            campaign=_int(params.get("campaign")),
            owner=owner,
            created_from=_date(params.get("created_from")),
            created_to=_date(params.get("created_to")),
            reached=params.get("reached", "") if params.get("reached") in _FUNNEL else "",
            reached_from=_date(params.get("reached_from")),
            reached_to=_date(params.get("reached_to")),
            bought=params.get("bought", "") if params.get("bought") in {"0", "1"} else "",
            team=_int(params.get("team")) if owner_filter else None,
            sort=sort if sort in SORT_KEYS else DEFAULT_SORT,
            cursor=params.get("cursor", "")[:500],
        )

    def query(self, limit: int = PAGE_SIZE) -> LeadQuery:
        """The service query; dates are whole local days, ``created_to`` included."""
        values: dict[str, Any] = {
            "stage": [Stage(s) for s in self.stage] or None,
            "channel": [self.channel] if self.channel else None,
            "campaign_id": self.campaign,
            "owner_id": _int(self.owner),
            "unassigned": self.owner == "none",
            "kind": LeadKind(self.kind) if self.kind else None,
            "created_from": start_of_day(self.created_from) if self.created_from else None,
            "created_to": start_of_day(self.created_to + timedelta(days=1)) if self.created_to else None,
            "reached": Stage(self.reached) if self.reached else None,
            "reached_from": start_of_day(self.reached_from) if self.reached_from else None,
            "reached_to": start_of_day(self.reached_to + timedelta(days=1)) if self.reached_to else None,
            "bought_list": {"1": True, "0": False}.get(self.bought),
            "team_id": self.team,
            "q": self.q or None,
            "sort": self.sort,
            "limit": limit,
            "cursor": self.cursor or None,
        }
        return LeadQuery(**values)

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (the order and the page do not)."""
        return replace(self, sort=DEFAULT_SORT, cursor="") != LeadFilters()

    def params(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "sort" and value == DEFAULT_SORT:
                continue
            if isinstance(value, tuple):
                pairs += [(f.name, v) for v in value]
            elif value not in (None, ""):
                pairs.append((f.name, value.isoformat() if isinstance(value, date) else str(value)))
        return pairs

    @property
    def drilled(self) -> bool:
        """Whether a report figure's filters narrow the list (shown as chips above it)."""
        return any(getattr(self, name) not in (None, "") for name in DRILL_FIELDS)

    def drill_params(self) -> list[tuple[str, str]]:
        """The report figure's filters, for hidden form fields that keep them while other filters change."""
        names = set(DRILL_FIELDS)
        return [(name, value) for name, value in self.params() if name in names]

    def without_drill(self) -> str:
        """This list without the report figure's filters."""
        return self.url(reached="", reached_from=None, reached_to=None, bought="", team=None)

    def url(self, **changes: Any) -> str:
        """This list's URL with some filters changed; any change but the cursor goes back to page one."""
        changes.setdefault("cursor", "")
        query = urlencode(replace(self, **changes).params())
        return f"/leads?{query}" if query else "/leads"

    def sort_url(self, column: str) -> str:
        field, desc_first = SORT_COLUMNS[column]
        if self.sort == field:
            return self.url(sort=f"-{field}")
        if self.sort == f"-{field}":
            return self.url(sort=field)
        return self.url(sort=f"-{field}" if desc_first else field)

    def sort_state(self, column: str) -> str:
        """``aria-sort`` for a column header."""
        field = SORT_COLUMNS[column][0]
        if self.sort == field:
            return "ascending"
        if self.sort == f"-{field}":
            return "descending"
        return "none"
