"""The command palette provider: acknowledge an alert by id, jump to a screen, poll a source
now, verify the log, switch operator, change theme.

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
        app: Any = self.app
        out: list[tuple[str, Any, str]] = []
        for e in entries():
            out.append((_("Go to {screen}").format(screen=e.label), partial(app.goto, e.mode), _("key {key}").format(key=e.key)))
        out.append((_("Switch operator (sign in)"), app.action_sign_in, "ctrl+o"))
        out.append((_("Verify the audit log"), app.verify_log, ""))
        out.append((_("Poll all sources now"), partial(app.poll_now, ""), ""))
        for key in [s.key for s in app.rt.config.sources] if app.is_open else []:
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
        # "ack 12", "#12", "12": acknowledge or open that alert.
        words = fold(query).replace("#", " ").split()
        wanted = next((int(w) for w in words if w.isdigit()), None)
        for alert in self.open_alerts:
            if wanted is not None and alert.id != wanted:
                continue
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append(f"#{alert.id} ")
            label.append(alert.title)  # plain text, never markup
            if wanted is None:
                score = matcher.match(f"{alert.id} {alert.title}")
                if score <= 0:
                    continue
            else:
                score = 1.0
            if alert.state == AlertState.NEW:
                ack = Text(_("Acknowledge") + " ")
                ack.append_text(label)
                yield Hit(score, ack, partial(app.acknowledge_by_id, alert.id), text=f"ack {alert.id}")
            view = Text(_("Open") + " ")
            view.append_text(label)
            yield Hit(score * 0.9, view, partial(app.open_alert, alert.id), text=f"open {alert.id}")
