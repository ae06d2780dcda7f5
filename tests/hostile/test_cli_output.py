"""The CLI is a terminal too: nothing it prints can give the operator's terminal an order.

Two ways hostile text reaches a command: a feed whose answer quotes it in a warning (cleaned
when stored), and a database written by another tool or by hand (printed through the same
filter as the desk's lines). What the operator sees: the words, never a clipboard write, a new
window title, a cleared screen or text that reads backwards. `--json` keeps the text exactly,
written as \\uXXXX escapes, and parses.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.feeds.conftest import feed_server  # noqa: F401 - the loopback feed server fixture
from tests.reports.history import edit
from tests.support.feed_server import FeedServer, Reply
from watchdesk.cli.main import cli
from watchdesk.core.records import Actor
from watchdesk.services import periods, roster
from watchdesk.services.handover import sign_out
from watchdesk.services.ingest import add_manual_alert
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import append_event

OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x07"  # a clipboard write ("rm -rf ~")
TITLE = "\x1b]0;PWNED-TITLE\x07"  # the window title
HOSTILE = f"Ivanti {OSC52}{TITLE}\x9b2J\x1b[31mred\x1b[0m \u202eevil\u202c \u200bzw\x07bell\x7f\x85 end"
# What a terminal acts on: C0 but LF/TAB, DEL, C1, bidi controls (zero-width characters are
# invisible, not orders, and stay in text output).
ORDERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# In JSON output even those become \uXXXX.
RAW_IN_JSON = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def assert_no_orders(output: str, *, inert_payload: bool = False) -> None:
    """No control reaches the terminal; the CLI's filter drops sequences whole, payload included.
    With `inert_payload` the command had already made the text harmless (the audit log's JSON
    shows \\u001b; the report drops control characters one by one), so the payload may show."""
    assert not ORDERS.search(output), repr(ORDERS.findall(output))
    if not inert_payload:
        assert "PWNED-TITLE" not in output and "cm0gLXJmIH4K" not in output


def assert_escaped_json(output: str) -> object:
    assert not RAW_IN_JSON.search(output), repr(RAW_IN_JSON.findall(output))
    return json.loads(output)


@pytest.fixture
def hostile_db(rt: Runtime, staff: dict[str, Actor]) -> dict[str, int]:
    """A desk whose stored text was rewritten by another tool: an alert, an officer's name, a
    period's notes, shift notes, a handover's notes and an audit event carry ESC/OSC/C1/bidi text."""
    boss = staff["minh"]
    start = rt.now() - timedelta(hours=1)
    periods.add_period(rt, boss, "tet-2026", start, start + timedelta(days=2), directive="5644/BTTTT-CATTT")
    roster.generate(rt, boss, "tet-2026", 1, "24h@" + start.astimezone(rt.zone).strftime("%H:%M"), ["hung"])
    alert = add_manual_alert(rt, staff["hung"], title="Ivanti Connect Secure", summary="plain")
    handover = sign_out(rt, staff["hung"], notes="plain notes", early=True)
    with rt.db.write() as session:
        append_event(session, rt.now(), "hung", "alert.noted", "alert", alert.id, {"note": HOSTILE})
    # another tool's writes, past the desk's cleaning (on either backend)
    edit(rt, "UPDATE alert SET title = :t, summary = :t WHERE id = :id", t=HOSTILE, id=alert.id)
    edit(rt, "UPDATE officer SET full_name = :t WHERE handle = 'hung'", t=HOSTILE)
    edit(rt, "UPDATE watch_period SET notes = :t", t=HOSTILE)
    edit(rt, "UPDATE handover SET notes = :t", t=HOSTILE)
    edit(rt, "UPDATE shift SET note = :t", t=HOSTILE)
    rt.db.dispose()
    return {"alert": alert.id, "shift": handover.shift_id}


def run(db_path: Path | str, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--db", str(db_path), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_text_output_carries_the_words_but_no_terminal_orders(hostile_db: dict[str, int], db_target: str, rt: Runtime) -> None:
    at = rt.now().astimezone(rt.zone).strftime("%Y-%m-%d %H:%M")
    outputs = {
        "alert list": run(db_target, "alert", "list"),
        "alert show": run(db_target, "alert", "show", str(hostile_db["alert"])),
        "officer list": run(db_target, "officer", "list"),
        "period list": run(db_target, "period", "list"),
        "roster now": run(db_target, "roster", "now", "--at", at),
        "roster list": run(db_target, "roster", "list", "--period", "tet-2026"),
        "handover show": run(db_target, "handover", "show", "--shift", str(hostile_db["shift"])),
        "log tail": run(db_target, "log", "tail", "-n", "50"),
        "report acks": run(db_target, "report", "acks", "--period", "tet-2026"),
    }
    for fmt in ("csv", "ics"):
        exported = CliRunner().invoke(cli, ["--db", db_target, "roster", "export", "--period", "tet-2026", "--format", fmt])
        assert exported.exit_code == 0, exported.output
        assert_no_orders(exported.stdout_bytes.decode("utf-8").replace("\r\n", "\n"))
        assert fmt == "csv" or b"\r\n" in exported.stdout_bytes  # iCalendar's own line ends stay
    for command, output in outputs.items():
        assert_no_orders(output, inert_payload=command in ("log tail", "report acks"))
        assert "Ivanti" in output, f"{command} lost the words: {output!r}"


def test_json_output_keeps_the_text_escaped(hostile_db: dict[str, int], db_target: str) -> None:
    listed = assert_escaped_json(run(db_target, "alert", "list", "--json"))
    assert [a["title"] for a in listed] == [HOSTILE]
    shown = assert_escaped_json(run(db_target, "alert", "show", str(hostile_db["alert"]), "--json"))
    assert shown["alert"]["title"] == HOSTILE and shown["alert"]["summary"] == HOSTILE
    officers = assert_escaped_json(run(db_target, "officer", "list", "--json"))
    assert HOSTILE in [o["full_name"] for o in officers]
    assert_escaped_json(run(db_target, "handover", "show", "--shift", str(hostile_db["shift"]), "--json"))
    events = assert_escaped_json(run(db_target, "log", "tail", "-n", "50", "--json"))
    assert {"note": HOSTILE} in [e["payload"] for e in events]
    report = assert_escaped_json(run(db_target, "report", "acks", "--period", "tet-2026", "--format", "json"))
    assert HOSTILE in [a.get("title") for a in report["alerts"]]


def test_a_strapi_answer_and_a_content_type_cannot_order_the_terminal(feed_server: FeedServer, tmp_path: Path) -> None:  # noqa: F811
    """The case that was found: `pagination.total` (and here `pageCount`) holding an OSC 52 clipboard
    write and an OSC 0 title, and a Content-Type with an 8-bit CSI, both quoted in the source's warning."""
    strapi = {"data": [{"id": 1, "attributes": {"title": "Cảnh báo lỗ hổng", "slug": "a", "publishedAt": "2026-02-16T10:00:00Z"}}],
              "meta": {"pagination": {"page": 1, "pageSize": 1, "pageCount": OSC52 + TITLE + "3", "total": OSC52 + TITLE + "3"}}}
    feed_server.route("/api", Reply(body=json.dumps(strapi).encode(), headers={"Content-Type": "application/json"}))
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
           "<item><title>Một cảnh báo</title><guid>x1</guid></item></channel></rss>").encode()
    feed_server.route("/rss", Reply(body=rss, headers={"Content-Type": "text/x-evil\x9b2J\x9d0;PWNED-TITLE\x9c"}))
    config = tmp_path / "watchdesk.toml"
    config.write_text(f"""
[database]
path = "{tmp_path / 'desk.db'}"
[[sources]]
key = "strapi"
kind = "json"
preset = "strapi"
url = "{feed_server.url('/api')}"
[[sources]]
key = "rss"
kind = "rss"
url = "{feed_server.url('/rss')}"
""", encoding="utf-8")
    runner = CliRunner()

    def cmd(*args: str) -> str:
        result = runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    cmd("init", "--handle", "minh", "--name", "Nguyễn Văn Minh")
    polled = cmd("poll")
    assert_no_orders(polled)
    assert "only the first page is read" in polled and "served as 'text/x-evil" in polled
    listed = cmd("sources")
    assert_no_orders(listed)
    rows = {r["key"]: r for r in assert_escaped_json(cmd("sources", "--json"))}
    # The page count holding orders is not trusted, and the warning says so without quoting it.
    assert "PWNED-TITLE" not in rows["strapi"]["warning"] and "only the first page is read" in rows["strapi"]["warning"]
    assert "PWNED-TITLE" not in rows["rss"]["warning"] and "text/x-evil" in rows["rss"]["warning"]
    stored = sqlite3.connect(tmp_path / "desk.db").execute("SELECT group_concat(warning, ' ') FROM source").fetchone()[0]
    assert not ORDERS.search(stored) and "PWNED" not in stored
