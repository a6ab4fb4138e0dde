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

from pheu.lifecycle import LeadKind, Stage
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
