from __future__ import annotations

from datetime import date

from pheu.score.bant import Authority, Bant, BantCriteria, Level, Money, TimingWindow, meets

CRITERIA = BantCriteria(min_budget=Money(50_000_000, "VND"), min_budget_level=Level.MEDIUM)
QUALIFIED = Bant(
    budget=Money(80_000_000, "VND"),
    authority=Authority.DECISION_MAKER,
    need="Cần phần mềm quản lý bán hàng cho 3 cửa hàng",
    need_level=Level.HIGH,
    timing=TimingWindow.MONTH,
)


def test_an_sql_meeting_every_part_may_become_an_opportunity() -> None:
    assert meets(CRITERIA, QUALIFIED) == (True, [])


def test_an_empty_record_lists_every_missing_part() -> None:
    ok, gaps = meets(CRITERIA, Bant())
    assert not ok
    assert [g.part for g in gaps] == ["budget", "authority", "need", "timing"]
    assert gaps[0].vi == "cần xác nhận ngân sách từ 50.000.000 VND hoặc mức vừa"
    assert gaps[1].en == "needs to know who decides"


def test_a_budget_level_stands_in_for_an_amount_the_lead_will_not_say() -> None:
    record = Bant(budget_level=Level.HIGH, authority=Authority.DECISION_MAKER, need_level=Level.MEDIUM,
                  timing=TimingWindow.QUARTER)  # fmt: skip
    assert meets(CRITERIA, record)[0]


def test_a_small_budget_or_another_currency_is_a_gap_that_says_why() -> None:
    small = Bant(budget=Money(20_000_000, "VND"))
    gap = meets(CRITERIA, small)[1][0]
    assert gap.vi == "ngân sách 20.000.000 VND dưới mức 50.000.000 VND"
    assert gap.en == "budget 20,000,000 VND is below 50,000,000 VND"
    dollars = meets(BantCriteria(min_budget=Money(50_000_000, "VND")), Bant(budget=Money(200_000, "USD")))[1][
        0
    ]
    assert dollars.en == "budget is in USD, the criteria in VND"


def test_an_influencer_is_not_enough_when_the_team_wants_the_decision_maker() -> None:
    record = Bant(authority=Authority.INFLUENCER)
    assert meets(BantCriteria(min_need_level=None, timing_within=None), record)[1][0].part == "authority"
    relaxed = BantCriteria(authority=frozenset({Authority.DECISION_MAKER, Authority.INFLUENCER}),
                           min_need_level=None, timing_within=None)  # fmt: skip
    assert meets(relaxed, record) == (True, [])


def test_timing_reads_an_expected_date_against_today() -> None:
    criteria = BantCriteria(authority=frozenset(), min_need_level=None, timing_within=TimingWindow.QUARTER)
    soon = Bant(expected_by=date(2026, 12, 20))
    assert meets(criteria, soon, on=date(2026, 11, 26))[0]
    assert not meets(criteria, soon)[0]  # without today only a recorded window counts
    assert not meets(criteria, Bant(expected_by=date(2027, 6, 1)), on=date(2026, 11, 26))[0]
    assert not meets(criteria, Bant(timing=TimingWindow.LATER))[0]


def test_parts_the_team_does_not_ask_about_are_not_checked() -> None:
    nothing = BantCriteria(authority=frozenset(), min_need_level=None, timing_within=None)
    assert meets(nothing, Bant()) == (True, [])
