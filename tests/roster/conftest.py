"""Roster fixtures: local-time helpers and a desk with a Tết 2026 watch period."""

from __future__ import annotations

from datetime import datetime

import pytest

from watchdesk.core.records import Actor
from watchdesk.core.roster import parse_local
from watchdesk.services.periods import PeriodRecord, add_period
from watchdesk.services.runtime import Runtime


@pytest.fixture
def local(rt: Runtime):
    """'2026-02-17 02:00' on the desk's wall clock → aware UTC."""

    def at(text: str) -> datetime:
        return parse_local(text, rt.zone)

    return at


@pytest.fixture
def tet(rt: Runtime, staff: dict[str, Actor], local) -> PeriodRecord:
    """The Tết 2026 watch, 13/02 17:00 → 23/02 08:00 (Hanoi)."""
    return add_period(rt, staff["minh"], "tet-2026", local("2026-02-13 17:00"), local("2026-02-23 08:00"), "5644/BTTTT-CATTT")
