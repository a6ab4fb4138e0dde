"""Demo data: six months of a believable Vietnamese SME's lead pipeline, so Phễu can be tried before it is fed.

``generate`` and ``iter_lead_chunks`` are pure (time and randomness are handed in) so the same seed always
yields the same pipeline; ``seed`` writes it to a database.
"""
