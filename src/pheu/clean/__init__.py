"""Cleaning on the way in: contact normalisation and search keys (pure)."""
