"""Measure: the funnel maths behind reports and the dashboard — pure functions over plain values.

Definitions (also in the README, "Reports and metric definitions"):

- ``paths``: what *reached a stage* means (entered it or any later funnel stage; skipping passes through;
  moving back never un-reaches), and which leads count (sales leads only; merged-away leads never).
- ``funnel``: counts per stage and conversion to the next, by cohort (leads created in the period, followed
  to ``as_of``) and by period (leads first reaching a stage in the period); the named rates.
- ``timing``: median and 90th percentile time between consecutive stages and from lead to customer.
- ``costs``: spend per currency, cost per lead, MQL, SQL and customer per channel and campaign.
- ``quality``: conversion and value per channel, bought lists against the rest.
- ``revenue``: the cohort customers' won values per currency, average deal value, return on spend.
- ``contact``: time to first contact after hand-off (reaching SQL) and SQL → Opportunity by contact speed.
- ``period``: local calendar days to UTC bounds, and the previous period of the same length.
- ``counts``: a period's leads counted by origin and level, with step times and first entries — the shape
  the database can produce itself, so the figures of a million leads need no Python object per lead.
- ``report``: all of the above for one period, from lead paths (``measure``) or from counts (``figures``).

Nothing here opens a session, reads the clock or logs; ``pheu.services.reports`` fetches the inputs.
"""
