"""A hostile source name in the sentence that clears its alert.

What a supervisor sees: the source's name as words in the alert's resolution, the ack report's
"cleared by the system" list and the handover record — never a terminal escape, a bidi override
or a cell that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.reports.history import duty, local
from tests.support.feed_factory import rss_feed
from tests.support.feed_server import FeedServer, Reply
from watchdesk.clock import FakeClock
from watchdesk.config import parse_config
from watchdesk.reports.acks import render
from watchdesk.reports.handover import render as render_handover
from watchdesk.services.alerts import get_alert
from watchdesk.services.handover import get_handover
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
from watchdesk.services.reports import ack_report, date_window, make_proof
from watchdesk.services.runtime import open_runtime
from watchdesk.services.sources import poll_due

EVIL = "=cmd|' /C calc'!A0 \x1b]0;pwned\x07 \u202eevil [b]x[/b]"


def test_a_hostile_source_name_is_cleaned_in_what_cleared_its_alert(tmp_path) -> None:  # noqa: ANN001
    clock = FakeClock("2026-02-17T02:00:00+07:00")
    with FeedServer() as server:
        url = server.route("/down", Reply(status=503))
        config = parse_config({"sources": [{"key": "kgm", "name": EVIL, "kind": "rss", "url": url, "fail_alert_after": "1h"}]})
        rt = open_runtime(config, db_path=str(tmp_path / "h.db"), clock=clock)
        try:
            bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", "246810")
            add_officer(rt, sign_in(rt, "minh", "246810"), "hung", "Lê Văn Hùng", "officer")
            duty(rt, "hung", 1, local(rt, "2026-02-16 19:00"), local(rt, "2026-02-17 07:00"))
            raised = None
            for _ in range(20):
                raised = raised or next((r.health_alert for r in poll_due(rt, force=True) if r.health_alert), None)
                clock.fast_forward(timedelta(minutes=10))
            server.route("/down", Reply(body=rss_feed(1), headers={"Content-Type": "application/rss+xml"}))
            poll_due(rt, force=True)
            alert = get_alert(rt, raised)
            assert alert.state == "resolved" and "calc" in alert.resolution and "[b]x[/b]" in alert.resolution
            start, end, name = date_window(rt, "2026-02-16", "2026-02-17")
            report = ack_report(rt, start, end, name)
            [cleared] = report.cleared
            texts = [alert.resolution, cleared.reason, render(report, "md"), render(report, "html"), render(report, "csv"),
                     render_handover(get_handover(rt), make_proof(rt), rt.zone.key, "md")]
            for text in texts:
                assert not any(ch in text for ch in ("\x1b", "\x07", "\u202e")), text[:200]
            rows = list(csv.reader(io.StringIO(render(report, "csv"))))
            assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
            assert "&lt;" not in cleared.reason and "<script" not in render(report, "html")
        finally:
            rt.db.dispose()
