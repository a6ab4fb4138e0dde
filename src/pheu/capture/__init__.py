"""Capture: every way a lead enters Phễu (forms, ads webhooks, bulk API, CSV/Excel import)."""
