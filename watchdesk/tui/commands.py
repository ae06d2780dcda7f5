"""The command palette provider: open or acknowledge an alert by id, jump to a screen, poll a
source now, verify the log, switch operator, change theme.

Alert titles are untrusted: hits show them as `Text` (the palette parses plain strings as
markup) and never use the matcher's highlight (which parses its candidate as markup).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from watchdesk.core.enums import AlertState
from watchdesk.core.text import fold
from watchdesk.i18n import _
from watchdesk.tui.registry import entries


class DeskCommands(Provider):
    """Desk actions for ctrl+p."""

    async def startup(self) -> None:
        self.open_alerts: list[Any] = []
        worker = self.app.run_worker(self._open_alerts, thread=True, exit_on_error=False, group="palette")
        await worker.wait()
        if worker.result is not None:
            self.open_alerts = worker.result

    def _open_alerts(self) -> list[Any]:
        app: Any = self.app
        if not app.is_open:
            return []  # the database is still opening
        from watchdesk.services.alerts import AlertFilter, list_alerts

        return list_alerts(app.rt, AlertFilter(states=(AlertState.NEW, AlertState.ACKNOWLEDGED)))

    def _commands(self) -> list[tuple[str, Any, str]]:
        from watchdesk.services.sources import pollable_keys

        app: Any = self.app
        out: list[tuple[str, Any, str]] = []
        for e in entries():
            out.append((_("Go to {screen}").format(screen=e.label), partial(app.goto, e.mode), _("key {key}").format(key=e.key)))
        out.append((_("Switch operator (sign in)"), app.action_sign_in, "ctrl+o"))
        out.append((_("Verify the audit log"), app.verify_log, ""))
        out.append((_("Search all history"), partial(_search_history, app), _("on the board: h")))
        out.append((_("Poll all sources now"), partial(app.poll_now, ""), ""))
        # Manual and disabled sources have nothing to poll: the palette does not offer them.
        for key in pollable_keys(app.rt) if app.is_open else []:
            out.append((_("Poll source {key} now").format(key=key), partial(app.poll_now, key), ""))
        out.append((_("Next theme (dark, light, high contrast)"), app.action_next_theme, "ctrl+t"))
        out.append((_("Help: every key"), app.action_help, "?"))
        return out

    async def discover(self) -> Hits:
        for name, call, help_text in self._commands():
            yield DiscoveryHit(Text(name), call, text=name, help=help_text)

    async def search(self, query: str) -> Hits:
        app: Any = self.app
        matcher = self.matcher(query)
        for name, call, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, Text(name), call, text=name, help=help_text)
        for score, label, call, text in self._alert_hits(query):
            yield Hit(score, label, call, text=text)

    def _alert_hits(self, query: str) -> list[tuple[float, Text, Any, str]]:
        """'open 12', 'ack 12', '#12', '12', words of a title: open or acknowledge that alert.

        The verb typed first decides which comes first; without one, Open does. Acknowledging
        changes the alert and is audited, so it is never the default match (Enter on '12' or on
        'open 12' must not acknowledge)."""
        app: Any = self.app
        words = fold(query).replace("#", " ").split()
        verb, used = _named_verb(words)
        rest = words[used:]
        if not rest:
            return []  # a verb alone names no alert: Enter must not act on whichever is listed first
        wanted = next((int(w) for w in rest if w.isascii() and w.isdigit() and len(w) <= 19), None)  # "²", 5,000 digits: no id
        # The same matcher as the commands above, so alert hits and commands rank on one scale.
        matcher = self.matcher(" ".join(rest))
        hits: list[tuple[float, Text, Any, str]] = []
        for alert in self.open_alerts:
            if wanted is not None and alert.id != wanted:
                continue
            base = matcher.match(f"{alert.id} {fold(alert.title)}")
            if base <= 0:
                continue
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append(f"#{alert.id} ")
            label.append(alert.title)  # plain text, never markup
            view = Text(_("Open") + " ")
            view.append_text(label)
            hits.append((base if verb != "ack" else base / 2, view, partial(app.open_alert, alert.id), f"open {alert.id}"))
            if alert.state == AlertState.NEW:
                ack = Text(_("Acknowledge") + " ")
                ack.append_text(label)
                hits.append((base if verb == "ack" else base / 2, ack, partial(app.acknowledge_by_id, alert.id), f"ack {alert.id}"))
        return hits


def _search_history(app: Any) -> None:
    """The board's search over every alert ever received (not only the open and latest resolved)."""
    if not app.is_open:
        return
    app.goto("alerts")
    app.call_after_refresh(lambda: getattr(app.screen, "action_search_history", lambda: None)())


def _vocabulary() -> dict[str, set[tuple[str, ...]]]:
    """The words that name each alert command, English and in the desk's language, folded."""
    return {
        "open": {("open",), tuple(fold(_("Open")).split())},
        "ack": {("ack",), ("acknowledge",), tuple(fold(_("Acknowledge")).split())},
    }


def _named_verb(words: list[str]) -> tuple[str | None, int]:
    """Which command the leading words name ('ack', 'open' or None) and how many words they are.

    Each word may be the start of the command's word ('a', 'ack', 'xac nhan'). Words that could
    start either command name neither, so the safe one (Open) ranks first."""
    found: dict[str, int] = {}
    for verb, phrases in _vocabulary().items():
        for phrase in phrases:
            n = 0
            while n < min(len(words), len(phrase)) and not words[n].isdigit() and phrase[n].startswith(words[n]):
                n += 1
            if n:
                found[verb] = max(found.get(verb, 0), n)
    if len(found) != 1:
        return None, 0
    (verb, used), = found.items()
    return verb, used
