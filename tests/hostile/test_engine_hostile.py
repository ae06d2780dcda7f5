"""Hostile words typed into alert actions and carried by pages: stored clean, sent as plain text."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from click.testing import CliRunner

from tests.engine.conftest import Desk, desk, config, webhook, alert_row, new_alert  # noqa: F401 - fixtures
from watchdesk.cli import cli
from watchdesk.notify.outbox import terminal_messages_since
from watchdesk.services import lifecycle
from watchdesk.services.calls import record_call
from watchdesk.store.queries.escalation import insert_call_tasks
from watchdesk.store.audit import events_for

UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
EVIL = "Đã vá \x1b]52;c;ZXZpbA==\x07[bold red]xong[/] \u202egnal\u202c \x9b31m\x00cổng VPN\x1b[2J [@click=app.quit]"
CLEAN = "Đã vá [bold red]xong[/] gnal cổng VPN [@click=app.quit]"


def test_resolution_snooze_reason_note_and_call_reference_are_stored_clean(rt, staff, clock) -> None:
    """The supervisor reads 'Đã vá [bold red]xong[/] gnal cổng VPN [@click=app.quit]' in the timeline: the
    clipboard escape (OSC 52), the screen-clearing CSI, the 8-bit CSI, NUL and the right-to-left override are
    gone, the brackets stay literal text, and every Vietnamese word is kept."""
    alert = new_alert(rt)
    lifecycle.add_note(rt, staff["hung"], alert, EVIL)
    lifecycle.snooze(rt, staff["hung"], alert, timedelta(minutes=5), EVIL)
    with rt.db.write() as session:
        insert_call_tasks(session, [(alert, "ncsc", 0, 3)], rt.now())  # as the sweep makes it
    call = record_call(rt, staff["hung"], 1, "reported", reference="NCSC\x1b[2J-0217\u202e", note=EVIL)
    record = lifecycle.resolve(rt, staff["hung"], alert, EVIL)
    assert record.resolution == CLEAN and call.note == CLEAN and call.reference == "NCSC-0217"
    events = events_for(rt.db, "alert", alert)
    assert not any(UNSAFE.search(json.dumps(e.payload, ensure_ascii=False)) for e in events)
    by_kind = {e.kind: e.payload for e in events}
    assert by_kind["alert.noted"]["text"] == CLEAN
    assert by_kind["alert.snoozed"]["reason"] == CLEAN
    assert by_kind["alert.resolved"]["note"] == CLEAN
    assert alert_row(rt, alert).resolution == CLEAN


def test_a_title_with_markup_is_paged_literally(desk: Desk, rt, webhook) -> None:
    """A warning titled '[bold]Khẩn[/bold] [@click=app.quit] FortiOS' (cleaned at ingest) reaches the webhook and
    the desks' banner exactly as that text: the JSON carries the brackets as characters, nothing interprets them."""
    alert = new_alert(rt, title="[bold]Khẩn[/bold] [@click=app.quit] FortiOS\x1b]0;pwned\x07")
    desk.tick()
    (page,) = webhook.take()
    assert page.body["subject"] == f"[CRITICAL] #{alert} [bold]Khẩn[/bold] [@click=app.quit] FortiOS (level 1)"
    assert not UNSAFE.search(page.body["text"])
    (banner,) = terminal_messages_since(rt, 0)
    assert banner.subject == page.body["subject"]


def test_cli_show_prints_plain_text_only(rt, staff, db_target) -> None:
    """`watchdesk alert show` on a terminal prints the note's words, never an escape sequence."""
    alert = new_alert(rt)
    lifecycle.add_note(rt, staff["thu"], alert, EVIL)
    out = CliRunner().invoke(cli, ["--db", db_target, "alert", "show", str(alert)], catch_exceptions=False).output
    assert "[bold red]xong[/]" in out and not UNSAFE.search(out.replace("\n", ""))


def test_a_mail_servers_refusal_is_stored_clean(tmp_path, clock) -> None:
    """A mail server refuses the page with '554 <OSC 52>[@click=app.quit]Mailbox locked<CSI 2J>': the
    detail (Notifications) and the Log read 'mail … answered 554 [@click=app.quit]Mailbox locked.',
    the clipboard write and the screen clear gone, the brackets literal text; the page is marked failed."""
    from tests.engine.conftest import duty
    from tests.support.smtp_server import PortZeroController
    from watchdesk.config import parse_config
    from watchdesk.engine import Engine
    from watchdesk.notify.outbox import delivery_log
    from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
    from watchdesk.services.runtime import open_runtime

    class Refusing:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
            return "554 \x1b]52;c;ZXZpbA==\x07[@click=app.quit]Mailbox locked\x1b[2J"

    controller = PortZeroController(Refusing(), hostname="127.0.0.1", port=0)
    controller.start()
    try:
        port = controller.port
        config = parse_config({
            "channels": {"mail": {"type": "email", "host": "127.0.0.1", "port": port, "starttls": False,
                                  "sender": "watchdesk@unit.example.vn", "timeout": "5s"}},
            "policies": {"critical": {"steps": [{"after": "0s", "level": 1, "channels": ["mail"]}], "repeat": 0}},
        })
        rt = open_runtime(config, db_path=str(tmp_path / "mail.db"), clock=clock)
        bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", "246810")
        add_officer(rt, sign_in(rt, "minh", "246810"), "hung", "Lê Văn Hùng", "officer", email="hung@example.vn")
        duty(rt, "hung", 1, clock.now() - timedelta(hours=1), clock.now() + timedelta(hours=8))
        engine = Engine(rt, kind="tick")
        alert = new_alert(rt)
        engine.tick()
        (row,) = [d for d in delivery_log(rt, alert) if d.channel == "mail"]
        assert row.status == "failed"
        assert row.last_error == f"127.0.0.1:{port} answered 554 [@click=app.quit]Mailbox locked."
        failed = [e for e in events_for(rt.db, "alert", alert) if e.kind == "notification.failed"]
        assert failed and failed[0].payload["error"] == row.last_error
        assert not any(UNSAFE.search(json.dumps(e.payload, ensure_ascii=False)) for e in events_for(rt.db, "alert", alert))
        engine.close()
        rt.db.dispose()
    finally:
        controller.stop()
