"""Recorded bodies in the platforms' real formats, read the way a webhook route would read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def raw(name: str) -> bytes:
    """The body exactly as it would arrive on the wire."""
    return (FIXTURES / name).read_bytes()


def load(name: str) -> Any:
    """The body as ``json.loads`` gives it to a parser."""
    return json.loads(raw(name))
