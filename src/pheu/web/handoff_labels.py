"""What a person reads for the hand-off codes: notification kinds, assignment reasons, strategies, regions.

Texts are English msgids marked with ``N_`` (so the catalogue extraction finds them); ``notice_text`` fills a
notice in for a locale and is also what the mail sender uses.
"""

from __future__ import annotations

from typing import Any, Final

from jinja2 import pass_context

from pheu.i18n import N_, gettext
from pheu.store import Notification

STRATEGIES: Final[dict[str, str]] = {
    "round_robin": N_("Round-robin"),
    "least_loaded": N_("Least loaded"),
    "weighted": N_("Weighted by capacity"),
}
REASONS: Final[dict[str, str]] = {
    **STRATEGIES,
    "no_rep_available": N_("Waiting: nobody in the team is available"),
    "no_rule": N_("No rule matched"),
    "manual": N_("Reassigned by a manager"),
}
REGIONS: Final[dict[str, str]] = {"north": N_("North"), "central": N_("Central"), "south": N_("South")}
TEMPERATURES: Final[dict[str, str]] = {"hot": N_("Hot"), "warm": N_("Warm"), "cold": N_("Cold")}
BATCH_ASSIGNED: Final = N_("%(count)s new leads were assigned to you")
NOTICES: Final[dict[str, str]] = {
    "assigned": N_("New lead assigned to you: %(name)s"),
    "reassigned": N_("A lead was handed to you by your manager: %(name)s"),
    "reassigned_away": N_("%(name)s is now looked after by %(rep)s"),
    "deadline_breached": N_("First-contact deadline passed: %(name)s"),
    "escalated": N_("%(rep)s has not contacted %(name)s in time"),
}


def notice_text(notice: Notification, locale: str) -> str:
    """The one-line text of a notice in ``locale``; a batch assignment is summed up in one line."""
    data = notice.data or {}
    count = int(data.get("count", 1))
    if notice.kind == "assigned" and count > 1:
        return gettext(locale, BATCH_ASSIGNED, count=count)
    name = str(data.get("lead_name") or f"#{notice.lead_id}")
    template = NOTICES.get(notice.kind)
    if template is None:
        return name
    return gettext(locale, template, name=name, rep=str(data.get("rep_name") or ""))


def install_filters() -> None:
    """Make the labels above template filters (``{{ code|handoff_reason }}``) in the shared environment."""
    from pheu.web.templating import _label, templates

    templates.env.filters.update(
        handoff_strategy=_label(STRATEGIES),
        handoff_reason=_label(REASONS),
        handoff_region=_label(REGIONS),
        handoff_temperature=_label(TEMPERATURES),
        handoff_notice=_notice_filter,
    )


@pass_context
def _notice_filter(ctx: Any, notice: Notification) -> str:
    return notice_text(notice, ctx.get("locale") or "vi")
