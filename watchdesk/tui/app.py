"""The desk app: `make_app(rt)` (shared by the CLI, the demo and the tests) and `run_desk(rt)`.

The app owns what every screen shares: the runtime, the signed-in operator, the header's
data, the unseen-alert banner, the change watcher (PRAGMA data_version every half second,
re-armed when each poll finishes) and the engine loop (run here unless `watchdesk serve`
is alive against the same database).

`make_app` takes an open `Runtime`, or a `DeskOpener` (the CLI's way, harlequin's rule): the
first frame is then the shell (header, screen names, the board saying it is opening the
database, footer), painted before anything imports SQLAlchemy or the store; a thread worker
opens the runtime after that frame and posts `RuntimeOpened` (or `RuntimeFailed`, one
sentence), and the handler on the UI thread puts the real screens in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.filter import LineFilter
from textual.reactive import reactive
from textual.screen import Screen

from watchdesk.config_file import ConfigError, ShellSettings
from watchdesk.core.records import Actor, AlertRecord
from watchdesk.i18n import _
from watchdesk.tui.commands import DeskCommands
from watchdesk.tui.messages import (
    ActionDone,
    ActionRefused,
    DataChanged,
    EngineStatus,
    HeaderLoaded,
    NewAlerts,
    PollDone,
    RuntimeFailed,
    RuntimeOpened,
)
from watchdesk.tui.registry import by_mode, entries
from watchdesk.tui.terminal_safe import TerminalSafe
from watchdesk.tui.themes import THEMES

TERMINAL_SAFE = TerminalSafe()  # one object: Textual caches filtered lines per filter

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported by the opening worker, not here
    from watchdesk.clock import Clock
    from watchdesk.services.desk_state import ChangeWatcher, HighWater
    from watchdesk.services.runtime import Runtime

WATCH_INTERVAL = 0.5  # seconds between data_version polls: a change shows within ~1 s
HEADER_EVERY = 30.0  # seconds: who is on duty changes at shift boundaries, not every second


@dataclass
class HeaderState:
    period: str = ""
    period_ends: datetime | None = None
    on_duty: dict[int, list[str]] = field(default_factory=dict)
    loaded: bool = False  # until the first read, the header says nothing rather than "nobody"


@dataclass(frozen=True)
class DeskOpener:
    """How the desk opens after its first frame (the CLI's way).

    `shell` (read from the config file without validating it) gives the header, theme, keys and
    where the database is; `clock` is the one the runtime will use; `open` runs in a thread
    worker: it validates the config, imports the store, opens (and upgrades) the database and
    returns the Runtime, or raises an error a person can meet (one sentence).
    """

    shell: ShellSettings
    clock: Clock
    open: Callable[[], Runtime]


class DeskApp(App[None]):
    """The watch desk. Build it with `make_app`."""

    CSS_PATH = "desk.tcss"
    TITLE = "watchdesk"
    COMMANDS = App.COMMANDS | {DeskCommands}
    BINDINGS = [
        *(Binding(str(n), f"goto_key('{n}')", show=False, id=f"app.screen{n}") for n in range(1, 10)),
        Binding("question_mark,f1", "help", _("Help"), id="app.help"),
        Binding("ctrl+o", "sign_in", _("Operator"), id="app.operator"),
        Binding("ctrl+t", "next_theme", _("Theme"), show=False, id="app.theme"),
    ]

    operator: reactive[Actor | None] = reactive(None, init=False)

    def __init__(
        self,
        source: Runtime | DeskOpener,
        *,
        operator: Actor | None = None,
        run_engine: bool | None = None,
        watch: bool = True,
        ask_sign_in: bool = True,
        start: str = "alerts",
        blink: bool = True,
    ) -> None:
        super().__init__()
        self._opener = source if isinstance(source, DeskOpener) else None
        self.rt: Runtime = None  # type: ignore[assignment] - set when the runtime is open (`is_open`)
        self.shell = source.shell if isinstance(source, DeskOpener) else ShellSettings.from_config(source.config)
        """Name, zone, theme and keys, known before the database is open (the validated config's once open)."""
        self.desk_clock: Clock = source.clock
        """The injected clock: the header's time before and after the database opens."""
        self.open_failure = ""
        """Why the database could not be opened ('' while it opens or once it is open)."""
        self.set_reactive(DeskApp.operator, operator)
        self._run_engine = run_engine  # None: as the config says (known once it is validated)
        self.watch_changes = watch
        self.ask_sign_in_at_start = ask_sign_in and operator is None
        self.start_mode = start
        self.blink = blink
        self.header_state = HeaderState()
        self.unseen: list[AlertRecord] = []
        self.engine_note = ""
        self._watcher: ChangeWatcher | None = None
        self._last_version: int | None = None
        self._max_alert_id = self._last_page_id = 0
        self._shell: Any = None  # the OpeningScreen, while the runtime opens (or failed to)
        self._engine: Any = None
        self._engine_lock = threading.Lock()  # the engine worker and on_unmount agree on the one engine
        self._closing = False
        for theme in THEMES.values():
            self.register_theme(theme)
        self._apply_shell(self.shell)
        if self._opener is None:
            from watchdesk.tui.screens import catalog  # noqa: F401 - registers the screens

            from watchdesk.services.desk_state import high_water

            self._attach(source, high_water(source))  # type: ignore[arg-type]

    def _apply_shell(self, shell: ShellSettings) -> None:
        self.shell = shell
        self.theme = THEMES[shell.theme].name
        if shell.keys:
            self.set_keymap(dict(shell.keys))  # [desk] keys: binding id -> key(s)
            from watchdesk.tui.screens.help import binding_ids

            # Textual ignores an id it does not know: say so, or the officer's remapped key just never works.
            unknown = sorted(set(shell.keys) - binding_ids())
            if unknown:
                self.notify(_("[desk] keys: {ids} is not a key of the desk and was ignored; press ? to see the binding ids.").format(
                    ids=", ".join(repr(i) for i in unknown)), severity="warning", timeout=30, markup=False)

    @property
    def run_engine(self) -> bool:
        return self.rt.config.engine.run_in_desk if self._run_engine is None else self._run_engine

    @property
    def data_version(self) -> int | None:
        """The change mark last seen by the watcher (None before the first poll or when not watching)."""
        return self._last_version

    @property
    def is_open(self) -> bool:
        """True once the runtime is open and the screens are in."""
        return self.rt is not None

    # -- start-up -----------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        if self._opener is None:
            return super().get_default_screen()
        from watchdesk.tui.screens.opening import OpeningScreen

        self._shell = OpeningScreen(self._opener.shell.database, self.desk_clock)
        return self._shell

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)
        if self._opener is None:
            self._start()
        else:
            # The shell is this first frame; the database opens once it is on the screen.
            self.call_after_refresh(self._open_runtime)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def _open_runtime(self) -> None:
        assert self._opener is not None
        try:
            rt = self._opener.open()
            from watchdesk.services.desk_state import high_water as where_data_stands
            from watchdesk.tui.screens import catalog  # noqa: F401 - registers the screens (imports the store)

            high_water = where_data_stands(rt)
        except Exception as exc:  # noqa: BLE001 - the desk never shows a traceback; it says what failed
            self.post_message(RuntimeFailed(_open_sentence(exc), closes=isinstance(exc, ConfigError)))
            return
        self.post_message(RuntimeOpened(rt, high_water))

    def on_runtime_opened(self, message: RuntimeOpened) -> None:
        self._attach(message.rt, message.high_water)
        self._start()

    def on_runtime_failed(self, message: RuntimeFailed) -> None:
        self.open_failure = message.sentence
        if message.closes:  # an invalid config: `watchdesk` prints the sentence once the terminal is back
            self.exit(return_code=2)
            return
        self.bell()
        self._shell.show_failure(message.sentence)  # stays on the board until the operator quits
        self.notify(message.sentence, severity="error", markup=False)  # seen over help or the palette too

    def _attach(self, rt: Runtime, high_water: HighWater) -> None:
        """The runtime is open: keep it, watch its file, put the screens in."""
        from watchdesk.services.desk_state import change_watcher

        self.rt = rt
        self.desk_clock = rt.clock
        shell = replace(ShellSettings.from_config(rt.config), database=self.shell.database)
        if shell != self.shell:  # validated: the same unless the file changed since it was read
            self._apply_shell(shell)
        self._watcher = change_watcher(rt)
        # What exists when the desk opens is not news: bell and banner are for what comes after.
        self._max_alert_id, self._last_page_id, mark = high_water.alert_id, high_water.page_id, high_water.mark
        if self.watch_changes:
            # The change mark as the desk opened, before any screen read anything: the first poll
            # then reloads for whatever was committed since (the engine's first cycle, the CLI),
            # rather than taking it as the state the board was loaded at.
            self._last_version = mark
        for entry in entries():
            self.add_mode(entry.mode, entry.factory)

    def _start(self) -> None:
        self.switch_mode(self.start_mode if by_mode(self.start_mode) else entries()[0].mode)
        self._load_header()
        self.set_interval(HEADER_EVERY, self._load_header)
        if self.watch_changes:
            # The first poll waits for the board's first load: it only notes where the data
            # stands, and must not compete with the first paint.
            self.set_timer(WATCH_INTERVAL, self._poll_changes)
        if self.run_engine:
            self._engine_cycle()
        if self.ask_sign_in_at_start:
            self.ask_sign_in(lambda _actor: None)

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
        with self._engine_lock:
            self._closing = True
            engine = self._engine
        if engine is not None:
            # Waits for a tick still running in its worker, then drops this desk's runner row
            # (a second desk or `serve` need not wait for it to go stale).
            engine.close()

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters (colour modes), then TerminalSafe on every line drawn."""
        return [*super().get_line_filters(), TERMINAL_SAFE]

    def visible_screens(self) -> list[Screen]:
        """The screens the officer can see: the top one and those showing through a modal above
        them (the board under the sign-in dialog, help or a form), bottom first."""
        if not self.screen_stack:
            return []  # the app is closing: its screens are gone before its timers
        return [screen for screen in self.screen_stack if screen.is_current]

    def _tick(self) -> None:
        # Every visible screen, not only the top one: under a modal the board's clock and
        # countdowns keep counting (ticking only `self.screen` froze them until the modal closed).
        for screen in self.visible_screens():
            tick = getattr(screen, "tick", None)
            if tick is not None:
                tick()

    # -- screens ------------------------------------------------------------------------
    def goto(self, mode: str) -> None:
        if not self.is_open or by_mode(mode) is None:
            return
        if self.current_mode != mode:
            self.switch_mode(mode)
        elif len(self.screen_stack) > 1:
            # Pressing the number of the screen you are on goes back to it from a detail view.
            while len(self.screen_stack) > 1:
                self.pop_screen()

    def action_goto_key(self, key: str) -> None:
        entry = next((e for e in entries() if e.key == key), None)
        if entry is not None:
            self.goto(entry.mode)

    def open_alert(self, alert_id: int) -> None:
        from watchdesk.tui.screens.detail import AlertDetailScreen

        self.forget_unseen(alert_id)
        self.push_screen(AlertDetailScreen(alert_id))

    def action_help(self) -> None:
        from watchdesk.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def watch_theme(self, name: str) -> None:
        # desk.tcss gives the high-contrast theme its own colours where the others' fall short.
        self.set_class(name == THEMES["high-contrast"].name, "-high-contrast")

    def action_next_theme(self) -> None:
        names = [t.name for t in THEMES.values()]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]

    # -- palette commands ---------------------------------------------------------------
    def verify_log(self) -> None:
        if not self.is_open:
            return
        self.goto("log")
        self.call_after_refresh(lambda: getattr(self.screen, "action_verify", lambda: None)())

    def acknowledge_by_id(self, alert_id: int) -> None:
        if not self.is_open:
            return
        if self.operator is None:
            self.ask_sign_in(lambda actor: actor and self.acknowledge_by_id(alert_id))
            return
        self._acknowledge(self.operator, alert_id)

    @work(thread=True, exit_on_error=False, group="palette-action")
    def _acknowledge(self, actor: Actor, alert_id: int) -> None:
        from watchdesk.services import lifecycle
        from watchdesk.tui.screens.base import PERSON_ERRORS

        try:
            lifecycle.acknowledge(self.rt, actor, alert_id)
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("acknowledge", str(exc), alert_id))
            return
        self.post_message(ActionDone("acknowledge", alert_id, _("Acknowledged #{id}.").format(id=alert_id)))

    def poll_now(self, key: str = "") -> None:
        if not self.is_open:
            return
        self.notify(_("Polling {what} now…").format(what=key or _("all sources")), markup=False)
        self._poll_sources(key)

    @work(thread=True, exit_on_error=False, group="poll-now")
    def _poll_sources(self, key: str) -> None:
        from watchdesk.services.sources import poll_due
        from watchdesk.tui.screens.base import PERSON_ERRORS

        try:
            poll_due(self.rt, only=key or None, force=True)
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("poll", str(exc)))
            return
        self.post_message(ActionDone("poll", 0, _("Polled {what}.").format(what=key or _("all sources"))))

    def on_action_refused(self, message: ActionRefused) -> None:
        # Reaches the app only from app-level workers (screens handle their own).
        self.bell()
        self.notify(message.sentence, severity="error", markup=False)
        getattr(self.screen, "show_status", lambda *a, **k: None)(message.sentence, error=True)

    def on_action_done(self, message: ActionDone) -> None:
        if message.action == "acknowledge":
            self.forget_unseen(message.alert_id)
        self.notify(message.sentence, markup=False)
        getattr(self.screen, "show_status", lambda *a, **k: None)(message.sentence)

    # -- the operator -------------------------------------------------------------------
    def ask_sign_in(self, then: Callable[[Actor | None], Any]) -> None:
        if not self.is_open:
            # The officers are in the database: ask as soon as it is open.
            self.ask_sign_in_at_start = True
            return
        from watchdesk.tui.screens.signin import SignInScreen

        self.push_screen(SignInScreen(), then)

    def action_sign_in(self) -> None:
        self.ask_sign_in(lambda _actor: None)

    def watch_operator(self) -> None:
        self.refresh_frames()

    def refresh_frames(self) -> None:
        # Every screen of the stack: a modal (the sign-in at start) shows the one below it, whose
        # header must say who is on duty too.
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_frame", None)
            if refresh is not None:
                refresh()

    # -- unseen alerts: bell and banner -------------------------------------------------
    def on_new_alerts(self, message: NewAlerts) -> None:
        settled = set(message.settled)
        known = {a.id for a in self.unseen}
        fresh = [a for a in message.alerts if a.id not in known and a.id not in settled]
        kept = [a for a in self.unseen if a.id not in settled]
        if not fresh and len(kept) == len(self.unseen):
            return
        self.unseen = kept + fresh  # replaced, never edited: the change poll reads it from its thread
        if fresh:
            self.bell()
        self.refresh_frames()

    def forget_unseen(self, alert_id: int) -> None:
        before = len(self.unseen)
        self.unseen = [a for a in self.unseen if a.id != alert_id]
        if len(self.unseen) != before:
            self.refresh_frames()

    def dismiss_unseen(self) -> None:
        if self.unseen:
            self.unseen = []
            self.refresh_frames()

    # -- change detection ---------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="watch")
    def _poll_changes(self) -> None:
        changed: int | None = None
        assert self._watcher is not None  # polls start once the runtime is open
        try:
            version = self._watcher.version()
            if version != self._last_version:
                first = self._last_version is None
                self._last_version = version
                self._check_new_alerts()
                changed = None if first else version
        finally:
            # The handler re-arms the timer when this poll is finished: polls never overlap.
            self.post_message(PollDone(changed))

    def on_poll_done(self, message: PollDone) -> None:
        if message.version is not None:
            self._load_header()
            # The screens in sight reload (the board under a modal too); the others reload when
            # they come back (on_screen_resume).
            for screen in self.visible_screens():
                screen.post_message(DataChanged(message.version))
        self.set_timer(WATCH_INTERVAL, self._poll_changes)

    def _check_new_alerts(self) -> None:
        """Alerts created since the last look, and terminal pages from the escalation
        (an alert reaching a new level rings again): bell and banner for those still new."""
        from watchdesk.services.desk_state import news_since

        unseen = {a.id for a in self.unseen}  # a snapshot: the UI thread replaces the list, never edits it
        news = news_since(self.rt, self._max_alert_id, self._last_page_id, unseen)
        self._max_alert_id, self._last_page_id = news.last_alert_id, news.last_page_id
        # Unseen alerts someone acted on elsewhere (the CLI, another desk, the engine or the
        # system clearing it): the banner must not go on announcing them.
        if news.fresh or news.settled:
            self.post_message(NewAlerts(news.fresh, settled=news.settled))

    # -- header -------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="header")
    def _load_header(self) -> None:
        from watchdesk.tui.data import header_data

        period, ends, on_duty = header_data(self.rt)
        self.post_message(HeaderLoaded(period, ends, on_duty))

    def on_header_loaded(self, message: HeaderLoaded) -> None:
        self.header_state = HeaderState(message.period, message.period_ends, message.on_duty, loaded=True)
        self.refresh_frames()

    # -- the engine ---------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="engine")
    def _engine_cycle(self) -> None:
        from watchdesk.engine import Engine, other_engine_alive

        note = ""
        try:
            if other_engine_alive(self.rt, kind="serve"):
                note = _("watching only: 'watchdesk serve' runs the engine")
            else:
                with self._engine_lock:
                    if self._closing:
                        return  # the desk is exiting: no new engine (on_unmount closes the one there is)
                    if self._engine is None:
                        self._engine = Engine(self.rt, kind="desk")
                    engine = self._engine
                report = engine.tick()  # after close() a tick does nothing
                if report.held_elsewhere and not report.held:  # another desk's engine holds every job
                    runner = sorted(set(report.held_elsewhere.values()))[0]
                    note = _("standing by: the engine of {runner} does the work").format(runner=runner)
        except Exception as exc:  # noqa: BLE001 - the desk must stay up; it says what failed
            note = _("engine stopped a cycle: {error}").format(error=str(exc)[:200])
        finally:
            self.post_message(EngineStatus(note))

    def on_engine_status(self, message: EngineStatus) -> None:
        if message.note != self.engine_note:
            self.engine_note = message.note
            self.refresh_frames()
        self.set_timer(max(self.rt.config.engine.tick_interval.total_seconds(), 0.2), self._engine_cycle)


def _open_sentence(exc: Exception) -> str:
    """One sentence for a failed opening: the error's own (it names the file and what to do)
    when a person can meet it, else what failed."""
    from watchdesk.services.errors import PermissionDenied, ServiceError

    known: tuple[type[Exception], ...] = (ConfigError, ServiceError, PermissionDenied)
    try:
        from watchdesk.store.db import DatabaseError
        from watchdesk.store.migrations import SchemaTooNew

        known += (DatabaseError, SchemaTooNew)
    except Exception:  # noqa: BLE001 - the store itself failed to import: say so below
        pass
    text = " ".join(str(exc).split())
    if isinstance(exc, known) and text:
        return text
    return _("The database could not be opened ({error}); check the path, its permissions and the [database] section of the config.").format(
        error=f"{type(exc).__name__}: {text}"[:300])


def make_app(source: Runtime | DeskOpener, **options: Any) -> DeskApp:
    """The desk app on an open runtime, or on a `DeskOpener` (the shell paints first, the runtime
    opens in a worker); options as DeskApp's (operator, run_engine, watch, ask_sign_in, start)."""
    return DeskApp(source, **options)


def run_desk(source: Runtime | DeskOpener, **options: Any) -> DeskApp:
    """Run the desk in this terminal until the operator quits (ctrl+q); returns the app
    (`open_failure` says why the database could not be opened, if it could not)."""
    app = make_app(source, **options)
    app.run()
    return app
