"""Folds events into facts (placeholder interface; the projector work fills it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection


def project(connection: Connection, events: Sequence[dict[str, Any]], centres: dict[str, Any]) -> None:
    """Update the facts touched by ``events`` (stored bodies, just inserted) inside ``connection``'s transaction."""
