"""The report's aggregation is a function over plain rows: hand-built rows, no database, figures worked out by hand."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from watchdesk.config import parse_config
from watchdesk.services.reports import NOBODY, Breach, Grouped, Proof, WindowRows, aggregate

UTC = timezone.utc
TARGETS = {"critical": 300.0, "high": 900.0, "medium": 3600.0, "low": 14400.0}
# The scan's columns: id, severity, source, level, received_at, ack µs, resolve µs, officer code, parent, cleared, snoozed µs.
SCAN = [
    (1, "critical", "cisa-kev", 1, "2026-02-16 13:00:00.000000", 180_000_000, None, 1, None, 0, 0),  # hung, on time
    (2, "critical", "cisa-kev", 2, "2026-02-16 13:10:00.000000", 600_000_000, None, 0, None, 0, 0),  # acknowledged again since: lan first
    (3, "high", "khonggianmang", 1, "2026-02-16 13:20:00.000000", None, None, None, 9, 0, 0),  # grouped under #9
]


def test_aggregate_over_plain_rows() -> None:
    rows = WindowRows(
        columns=tuple(zip(*SCAN)),
        parents={9: ("2026-02-16 13:25:00.000000", "2026-02-16 13:25:00.000000", 1)},  # #9 acknowledged once, by hung
        handles={1: "hung", 2: "lan"},
        first_by={2: "lan"},
        late={2: ("B",)},
        unacked={},
        grouped={3: ("C", 0, None)},
        cleared={},
        off_titles={},
        escalations=[(2, 2)],
        off_duty=[],
    )
    report = aggregate(
        rows, [], TARGETS, start=datetime(2026, 2, 16, 12, tzinfo=UTC), end=datetime(2026, 2, 16, 14, tzinfo=UTC),
        period="test", now=datetime(2026, 2, 16, 14, tzinfo=UTC), zone=ZoneInfo("Asia/Ho_Chi_Minh"),
        roster=parse_config({}).roster, proof=Proof(True, "not verified", None, "", None, checked=False), with_alerts=False,
    )
    o = report.overall
    assert (o.count, o.acked, o.mean, o.median, o.p90, o.max, o.breaches) == (3, 3, 360.0, 300.0, 600.0, 600.0, 1)
    assert {k: (s.count, s.acked, s.breaches) for k, s in report.by_officer.items()} == {"hung": (2, 2, 0), "lan": (1, 1, 1)}
    assert list(report.by_shift) == [NOBODY]  # no roster given
    assert report.breaches == [Breach(2, "B", "critical", 600.0, 300.0, "2026-02-16 13:15:00.000000", "lan", "", "")]
    # A grouped alert is acknowledged with its parent: 13:20 → 13:25, by whoever acknowledged #9.
    assert report.grouped == [Grouped(3, "C", "high", 9, SCAN[2][4], "2026-02-16 13:25:00.000000", "hung", 300.0, None, False)]
    assert report.escalations_by_level == {2: 1} and report.alerts_by_top_level == {1: 2, 2: 1}
    assert report.never_acked == [] and report.alerts == []
    assert [n for _, n in report.per_hour] == [0, 3]  # 12:00 and 13:00 UTC
