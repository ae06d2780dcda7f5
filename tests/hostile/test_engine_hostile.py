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
from watchdesk.services.calls import create_call_task, record_call
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
        create_call_task(session, alert, "ncsc", 0, 3, rt.now())
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


def test_cli_show_prints_plain_text_only(rt, staff, db_path) -> None:
    """`watchdesk alert show` on a terminal prints the note's words, never an escape sequence."""
    alert = new_alert(rt)
    lifecycle.add_note(rt, staff["thu"], alert, EVIL)
    out = CliRunner().invoke(cli, ["--db", str(db_path), "alert", "show", str(alert)], catch_exceptions=False).output
    assert "[bold red]xong[/]" in out and not UNSAFE.search(out.replace("\n", ""))
