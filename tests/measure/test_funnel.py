"""Funnel counts and conversions on hand-built histories; every expected number is worked out in the test."""

from __future__ import annotations

from pheu.lifecycle import LeadKind, Stage
from pheu.measure.funnel import StageCount, cohort_funnel, period_funnel, rates
from pheu.measure.paths import LeadPath, created_between, follow, reached
from tests.measure.histories import CUSTOMER, IQL, LOST, MQL, OPP, SQL, day, path

# Six leads created in the first days of March, plus two that must never count.
A = path(1, 0, (MQL, 1), (SQL, 3), (OPP, 5), (CUSTOMER, 10))  # the whole way
B = path(2, 0, (SQL, 2), (LOST, 4))  # skips MQL, then lost
C = path(3, 1, (MQL, 2), (IQL, 4), (MQL, 6))  # moves back and forward again
D = path(4, 2, (MQL, 3), (LOST, 5), (MQL, 20), (SQL, 22))  # lost, recycled, later hot
G = path(7, 3)  # still cold
APPLICANT = path(5, 0, (MQL, 1), (SQL, 2), kind=LeadKind.RECRUITMENT)
MERGED_AWAY = path(6, 0, (MQL, 1), (SQL, 2), (OPP, 3), (CUSTOMER, 4), merged_away=True)
COHORT = [A, B, C, D, G, APPLICANT, MERGED_AWAY]


def counts(funnel: tuple[StageCount, ...]) -> list[int]:
    return [row.leads for row in funnel]


def conversions(funnel: tuple[StageCount, ...]) -> list[float | None]:
    return [row.conversion_to_next for row in funnel]


def test_skipping_a_stage_passes_through_it_at_the_same_moment() -> None:
    got = reached(B, day(30))
    assert got == {IQL: day(0), MQL: day(2), SQL: day(2)}


def test_moving_back_never_unreaches_and_the_first_entry_stands() -> None:
    assert reached(C, day(30)) == {IQL: day(1), MQL: day(2)}


def test_moves_after_as_of_have_not_happened_yet() -> None:
    assert reached(D, day(21)) == {IQL: day(2), MQL: day(3)}
    assert reached(D, day(22.5))[SQL] == day(22)


def test_a_lead_with_no_history_has_still_reached_iql_at_creation() -> None:
    bare = LeadPath(lead_id=9, created_at=day(4))
    assert reached(bare, day(30)) == {IQL: day(4)}


def test_recruitment_and_merged_away_leads_never_count() -> None:
    journeys = follow(COHORT, day(30))
    assert sorted(j.lead.lead_id for j in journeys) == [1, 2, 3, 4, 7]


def test_cohort_funnel_counts_leads_that_reached_each_stage() -> None:
    funnel = cohort_funnel(follow(COHORT, day(30)))
    # IQL: A B C D G; MQL: A B(skip) C D; SQL: A B D; Opportunity: A; Customer: A.
    assert [row.stage for row in funnel] == [IQL, MQL, SQL, OPP, CUSTOMER]
    assert counts(funnel) == [5, 4, 3, 1, 1]
    assert conversions(funnel) == [4 / 5, 3 / 4, 1 / 3, 1 / 1, None]


def test_cohort_followed_to_an_earlier_day_sees_less() -> None:
    # On day 21 D has not become an SQL yet and A is already a customer.
    funnel = cohort_funnel(follow(COHORT, day(21)))
    assert counts(funnel) == [5, 4, 2, 1, 1]


def test_rates_come_from_the_cohort_funnel() -> None:
    got = rates(cohort_funnel(follow(COHORT, day(30))))
    assert got.iql_to_mql == 4 / 5
    assert got.mql_to_sql == 3 / 4
    assert got.sql_to_opportunity == 1 / 3
    assert got.opportunity_to_customer == 1.0
    assert got.lead_to_customer == 1 / 5


def test_cohort_is_leads_created_in_the_half_open_period() -> None:
    journeys = follow(COHORT, day(30))
    assert [j.lead.lead_id for j in created_between(journeys, day(1), day(3))] == [3, 4]


def test_period_funnel_counts_first_arrivals_in_the_period_whoever_the_lead() -> None:
    old_then_fast = path(8, -30, (MQL, 12), (SQL, 12.5))  # created long before, moves in the period
    new_cold = path(9, 15)
    new_skipper = path(10, 11, (SQL, 13))
    back_and_forth = path(11, -5, (MQL, -4), (IQL, 12), (MQL, 14))  # re-enters MQL: not a first arrival
    leads = [A, D, old_then_fast, new_cold, new_skipper, back_and_forth, APPLICANT]
    funnel = period_funnel(follow(leads, day(30)), day(10), day(25))
    # IQL: new_cold, new_skipper. MQL: old_then_fast, new_skipper (D's day-20 MQL is a return).
    # SQL: old_then_fast, D (day 22), new_skipper. Opportunity: none. Customer: A (day 10).
    assert counts(funnel) == [2, 2, 3, 0, 1]
    # A ratio of flows: more SQLs than MQLs arrived, and customers came without a new opportunity.
    assert conversions(funnel) == [1.0, 1.5, 0.0, None, None]


def test_empty_cohort_gives_zero_counts_and_no_rates() -> None:
    funnel = cohort_funnel([])
    assert counts(funnel) == [0, 0, 0, 0, 0]
    assert conversions(funnel) == [None] * 5
    got = rates(funnel)
    assert got.to_dict() == dict.fromkeys(
        ("iql_to_mql", "mql_to_sql", "sql_to_opportunity", "opportunity_to_customer", "lead_to_customer")
    )


def test_stage_count_serialises_with_stage_names() -> None:
    assert StageCount(Stage.MQL, 3, 2 / 3).to_dict() == {
        "stage": "mql",
        "leads": 3,
        "conversion_to_next": 0.6667,
    }
