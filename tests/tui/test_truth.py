"""The screen tells the truth: the banner lets go of an alert acted on elsewhere, the board keeps
counting and loading under a modal, the palette's default is the command typed and never an
acknowledgment by accident."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from textual.command import CommandList, CommandPalette

from tests.conftest import target_of
from tests.tui.conftest import of_type, settle, wait_until
from tests.tui.screen_text import screen_text, seen_text
from watchdesk.core.enums import AlertState, Severity
from watchdesk.feeds.items import RawItem
from watchdesk.feeds.normalize import normalize
from watchdesk.services import lifecycle
from watchdesk.services.alerts import get_alert
from watchdesk.services.ingest import ingest_items
from watchdesk.services.officers import sign_in
from watchdesk.tui.messages import ActionDone
from watchdesk.tui.screens.alerts import AlertsScreen
from watchdesk.tui.screens.detail import AlertDetailScreen
from watchdesk.tui.screens.signin import SignInScreen
from watchdesk.tui.widgets.row_table import RowTable

REPO = Path(__file__).resolve().parents[2]


def _new_warning(rt, key: str, title: str) -> int:
    item = normalize(RawItem(native_id=key, title=title, summary="", severity="cao"), default_severity=Severity.MEDIUM, zone=rt.zone)
    return ingest_items(rt, "khonggianmang", [item]).new[0]


async def _cli(rt, *args: str) -> None:
    """`watchdesk --db … ARGS` in another process, as an officer at another terminal runs it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "watchdesk", "--db", target_of(rt), *args,
        cwd=str(REPO), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await proc.communicate()
    assert proc.returncode == 0, output.decode()


async def test_the_banner_and_bell_let_go_of_an_alert_acted_on_elsewhere(make_desk, desk_rt, monkeypatch):
    app = make_desk(watch=True)
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert await wait_until(pilot, lambda: app._last_version is not None)
        first = _new_warning(desk_rt, "ransomware-1", "Cảnh báo mã độc tống tiền mới")
        second = _new_warning(desk_rt, "ransomware-2", "Biến thể mới của mã độc")
        assert await wait_until(pilot, lambda: {a.id for a in app.unseen} == {first, second})
        assert await wait_until(pilot, lambda: "NEW ALERT" in screen_text(app) and f"#{second} " in screen_text(app))
        rang = len(bells)
        # Acknowledged from the CLI in another process: the banner goes to the one still new.
        await _cli(desk_rt, "alert", "ack", str(second), "--as", "lan")
        assert await wait_until(pilot, lambda: [a.id for a in app.unseen] == [first], timeout=10.0)  # a bound under load; speed: benchmarks/cross_desk.py
        assert await wait_until(pilot, lambda: f"NEW ALERT #{first} " in screen_text(app))
        # Resolved by someone else (another desk's connection): nothing left to announce.
        lifecycle.resolve(desk_rt, sign_in(desk_rt, "lan", None), first, "Đã xử lý ở bàn trực khác.")
        assert await wait_until(pilot, lambda: not app.unseen, timeout=10.0)
        assert await wait_until(pilot, lambda: "NEW ALERT" not in screen_text(app))
        assert len(bells) == rang  # letting go never rings


async def test_the_board_stays_live_under_the_sign_in_dialog(make_desk, desk_rt, ids, clock):
    """At start the sign-in dialog sits over the board: the header clock, the countdowns and
    the rows go on changing beneath it, without waiting for it to close."""
    app = make_desk(None, watch=True, ask_sign_in=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, SignInScreen)
        board = app.screen_stack[0]
        assert isinstance(board, AlertsScreen)
        table = board.query_one("#board", RowTable)
        assert await wait_until(pilot, lambda: table.row_count > 0 and app._last_version is not None)
        assert "02:00:00 17/02/2026" in seen_text(app)
        rendered = table.rendered
        clock.set(clock.now() + timedelta(seconds=37))
        # The app's one-second tick: the header and the countdowns under the dialog move.
        assert await wait_until(pilot, lambda: "02:00:37 17/02/2026" in seen_text(app), timeout=3.0)
        assert await wait_until(pilot, lambda: table.rendered > rendered, timeout=3.0)
        # A warning arriving while the dialog is open shows on the board at once, and in the banner.
        new_id = _new_warning(desk_rt, "ransomware-1", "Cảnh báo mã độc tống tiền mới")
        assert await wait_until(pilot, lambda: table.index_of(new_id) is not None, timeout=3.0)
        assert await wait_until(pilot, lambda: "NEW ALERT" in seen_text(app))
        assert isinstance(app.screen, SignInScreen)  # all of it while the dialog stayed open
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is board and table.index_of(new_id) is not None


async def _palette(pilot, app, query: str) -> list[str]:
    """Type `query` in the palette; the hits' texts, the highlighted (Enter's) one first."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*query)
    commands = app.screen.query_one(CommandList)
    await wait_until(pilot, lambda: commands.option_count > 0 and commands.highlighted == 0
                     and any(query.split()[-1] in (o.hit.text or "") for o in commands.options))
    await pilot.pause(0.3)  # the palette adds hits in batches: let the last batch in
    texts = [o.hit.text for o in commands.options]
    return texts[commands.highlighted or 0:] + texts[:commands.highlighted or 0]


async def test_open_13_in_the_palette_opens_and_never_acknowledges(make_desk, ids, desk_rt, messages):
    target = ids["exchange"]  # new: both Open and Acknowledge are offered
    app = make_desk("mai")
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        for query in (f"{target}", f"#{target}", f"op {target}"):
            hits = await _palette(pilot, app, query)
            assert hits[0] == f"open {target}", (query, hits)
            assert f"ack {target}" in hits  # offered, but never the default
            await pilot.press("escape")
            await pilot.pause()
        hits = await _palette(pilot, app, f"ack {target}")
        assert hits[0] == f"ack {target}"
        await pilot.press("escape")
        await pilot.pause()
        await _palette(pilot, app, f"open {target}")
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, AlertDetailScreen) and app.screen.alert_id == target
    assert get_alert(desk_rt, target).state == AlertState.NEW
    assert not of_type(messages, ActionDone)


def test_board_order_keeps_every_row_when_joins_are_odd(desk_rt, ids):
    """A child whose parent is filtered out sorts on its own; a cycle of joins (a hand edit)
    neither loops nor drops a row."""
    from dataclasses import replace

    from watchdesk.services.alerts import AlertFilter, board_order, list_alerts

    records = list_alerts(desk_rt)
    child = next(a for a in records if a.id == ids["kev-fortios"])
    alone = board_order([a for a in records if a.id != ids["fortios"]])
    # sorted as any critical with no deadline of its own: after the other criticals, before the rest
    assert [a.id for a in alone][:3] == [ids["tomcat"], ids["exchange"], child.id]
    cycle = [replace(a, joined_to=ids["exchange"]) if a.id == ids["fortios"] else a for a in records]
    cycle = [replace(a, joined_to=ids["fortios"]) if a.id == ids["exchange"] else a for a in cycle]
    ordered = [a.id for a in board_order(cycle)]
    assert sorted(ordered) == sorted(a.id for a in records)
    # the cycle's most urgent member leads it, where it sorts on its own; the rest follow it
    assert ordered[:4] == [ids["tomcat"], ids["fortios"], ids["exchange"], ids["kev-fortios"]]
    high = list_alerts(desk_rt, AlertFilter(states=(AlertState.NEW,), severities=(Severity.CRITICAL,)))
    assert [a.id for a in high] == [ids["fortios"], ids["kev-fortios"], ids["exchange"]]


async def test_a_change_before_the_first_poll_reaches_the_board(make_desk, desk_rt, monkeypatch):
    """The demo's engine brings its first warnings between the board's first read and the
    watcher's first poll: that poll must reload the board, not take the data as already shown."""
    import watchdesk.tui.app as desk_app

    monkeypatch.setattr(desk_app, "WATCH_INTERVAL", 1.5)  # the first poll comes after the board's first read
    app = make_desk(watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#board", RowTable)
        assert table.row_count > 0
        new_id = _new_warning(desk_rt, "ransomware-1", "Cảnh báo mã độc tống tiền mới")
        assert await wait_until(pilot, lambda: table.index_of(new_id) is not None, timeout=5.0)
