"""The Roster screen: a week grid (days × hours, names, gaps, now), the week's shifts, and
forms to generate a rotation, override a shift and swap two officers' shifts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable

from watchdesk.core.permissions import Action, PermissionDenied, require
from watchdesk.core.roster import parse_local
from watchdesk.i18n import N_, _
from watchdesk.services import roster
from watchdesk.tui.format import local, plain
from watchdesk.tui.messages import ActionDone, ActionRefused, RosterLoaded
from watchdesk.tui.registry import register_screen
from watchdesk.tui.screens.base import PERSON_ERRORS, DeskScreen
from watchdesk.tui.screens.forms import Field, PromptForm, Refusal
from watchdesk.tui.widgets.columns import Want, fit
from watchdesk.tui.widgets.week_grid import WeekGridView


PATTERN = "2x12@07:30"
# The shifts' columns; a narrow terminal drops the highest rank first (the grid above names everyone).
SHIFT_COLUMNS = [("start", N_("start"), 11, 1), ("end", N_("end"), 11, 1), ("level", "L", 1, 3), ("officer", N_("officer"), 10, 1),
                 ("name", N_("name"), 20, 6), ("origin", N_("origin"), 8, 5), ("checkin", N_("check-in"), 11, 4),
                 ("reason", N_("reason"), None, 2)]
YES = ("y", "yes", "c", "có", "co")


class RosterScreen(DeskScreen):
    MODE = "roster"
    BINDINGS = [
        Binding("left", "week(-1)", _("Prev week"), key_display="←", id="roster.prev"),
        Binding("right", "week(1)", _("Next week"), key_display="→", id="roster.next"),
        Binding("left_square_bracket", "week(-1)", _("Prev week"), show=False, id="roster.prev2"),
        Binding("right_square_bracket", "week(1)", _("Next week"), show=False, id="roster.next2"),
        Binding("t", "today", _("Today"), id="roster.today"),
        Binding("l", "level", _("Level"), id="roster.level"),
        Binding("g", "generate", _("Generate"), id="roster.generate"),
        Binding("o", "override", _("Override"), id="roster.override"),
        Binding("w", "swap", _("Swap"), id="roster.swap"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.first_day: date | None = None
        self.level = 1
        self._loaded: RosterLoaded | None = None
        self._width = 0  # the width the shifts' columns were fitted to

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="roster"):
            yield WeekGridView(id="week-grid")
            yield DataTable(id="shifts", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#shifts", DataTable).focus()

    def _fit_columns(self) -> None:
        """Lay the shifts' columns out for this width (a narrow one drops the name, then the origin)."""
        table = self.query_one("#shifts", DataTable)
        if self._width == self.size.width and table.columns:
            return
        self._width = self.size.width
        table.clear(columns=True)
        for column in fit([Want(key, _(label), width, rank) for key, label, width, rank in SHIFT_COLUMNS], self.size.width or 80):
            table.add_column(column.label, key=column.key, width=column.width)

    def on_resize(self) -> None:
        if self._loaded is not None and self.size.width != self._width:
            self.on_roster_loaded(self._loaded)

    def _week_start(self) -> date:
        if self.first_day is None:
            today = self.desk.rt.local(self.desk.rt.now()).date()
            self.first_day = today - timedelta(days=today.weekday())
        return self.first_day

    def reload(self) -> None:
        self._load(self._week_start(), self.level)

    @work(thread=True, exclusive=True, exit_on_error=False, group="roster")
    def _load(self, first_day: date, level: int) -> None:
        rt = self.desk.rt
        try:
            grid = roster.week_grid(rt, first_day)
            start = datetime.combine(first_day, datetime.min.time(), tzinfo=rt.zone)
            shifts = roster.list_shifts(rt, start, start + timedelta(days=7), level=level)
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("roster", str(exc)))
            return
        gaps = [b for row in grid.rows if row.level == level for b in row.blocks if b.gap]
        self.post_message(RosterLoaded(grid, shifts, gaps))

    def on_roster_loaded(self, message: RosterLoaded) -> None:
        self._loaded = message
        self.query_one(WeekGridView).show(message.grid, self.level)
        zone = self.desk.rt.zone
        self._fit_columns()
        table = self.query_one("#shifts", DataTable)
        table.clear()
        shown = [str(c.key.value) for c in table.columns.values()]
        for s in message.shifts:
            reason = " ".join(x for x in (s.reason, f"({s.approved_by})" if s.approved_by else "", s.note) if x)
            cells = {"start": local(s.start, zone), "end": local(s.end, zone), "level": s.level, "officer": s.officer,
                     "name": s.full_name, "origin": s.origin, "checkin": local(s.checked_in_at, zone) if s.checked_in_at else "",
                     "reason": reason}
            table.add_row(*[plain(cells[key]) for key in shown], key=str(s.id))
        gap_hours = sum((g.end - g.start).total_seconds() for g in message.gaps) / 3600
        if gap_hours:
            self.show_status(_("Level {n} has {h:.1f} hours with nobody on duty this week.").format(n=self.level, h=gap_hours), error=True)
        else:
            self.show_status(_("Level {n} is covered all week.").format(n=self.level))

    def tick(self) -> None:
        super().tick()
        for grid in self.query(WeekGridView):  # none while the screen is still being composed
            grid.refresh()  # the now-line moves

    # -- navigation ---------------------------------------------------------------------
    def action_week(self, step: int) -> None:
        self.first_day = self._week_start() + timedelta(days=7 * step)
        self.reload()

    def action_today(self) -> None:
        self.first_day = None
        self.reload()

    def action_level(self) -> None:
        self.level = self.level % 3 + 1
        self.reload()

    # -- forms --------------------------------------------------------------------------
    def _gate(self, action: Action, then: Any) -> None:
        operator = self.desk.operator
        if operator is None:
            self.desk.ask_sign_in(lambda actor: actor and self._gate(action, then))
            return
        try:
            require(operator.handle, operator.role, action)
        except PermissionDenied as exc:
            self.post_message(ActionRefused(action.value, str(exc)))
            return
        then(operator)

    def on_action_refused(self, message: ActionRefused) -> None:
        self.app.bell()
        self.show_status(message.sentence, error=True)
        self.app.notify(message.sentence, severity="error", markup=False)

    def on_action_done(self, message: ActionDone) -> None:
        self.show_status(message.sentence)
        self.app.notify(message.sentence, markup=False)
        self.reload()

    def _form(self, verb: str, form: PromptForm, done: Any) -> None:
        """Open `form`; it runs its action and stays open with the reason when refused."""

        def closed(values: dict[str, str] | None) -> None:
            if values is not None:
                self.post_message(ActionDone(verb, 0, done(values)))

        self.app.push_screen(form, closed)

    def _times(self, *values: str) -> list[datetime]:
        return [parse_local(v, self.desk.rt.zone) for v in values]

    def action_generate(self) -> None:
        def go(actor: Any) -> None:
            def act(v: dict[str, str]) -> None:
                handles = [h for h in v["officers"].replace(",", " ").split() if h]
                roster.generate(self.desk.rt, actor, v["period"], _level(v["level"]), v["pattern"], handles,
                                replace=v["replace"].lower() in YES)

            self._form("generate", PromptForm(_("Generate shifts for a watch period"), [
                Field("period", _("Watch period (name)")),
                Field("level", _("Level (1 duty officer, 2 shift lead, 3 supervisor)"), value=str(self.level), default=str(self.level)),
                Field("pattern", _("Pattern: 3x8, 2x12, 24h or handover times like 07:30/19:30"), value=PATTERN, default=PATTERN),
                Field("officers", _("Officers in rotation order (handles)"), _("e.g. hung thu")),
                Field("replace", _("Replace shifts already generated? (y/n)"), default="n"),
            ], _("Generate"), act=act), lambda v: _("Generated level {n} of {period}.").format(n=v["level"], period=v["period"]))

        self._gate(Action.EDIT_ROSTER, go)

    def action_override(self) -> None:
        def go(actor: Any) -> None:
            def act(v: dict[str, str]) -> None:
                start, end = self._times(v["start"], v["end"])
                roster.override(self.desk.rt, actor, v["handle"], _level(v["level"]), start, end, v["reason"],
                                approved_by=v["approved_by"], replacing=v["replacing"])

            self._form("override", PromptForm(_("Override: someone covers a stretch of duty"), [
                Field("handle", _("Who covers (handle)")),
                Field("level", _("Level"), value=str(self.level), default=str(self.level)),
                Field("start", _("From (YYYY-MM-DD HH:MM, desk time)")),
                Field("end", _("Until (YYYY-MM-DD HH:MM)")),
                Field("replacing", _("Replacing (handle)"), required=False),
                Field("reason", _("Reason")),
                Field("approved_by", _("Approved by (handle)"), required=False),
            ], _("Override"), act=act), lambda v: _("{who} covers {start} – {end}.").format(who=v["handle"], start=v["start"], end=v["end"]))

        self._gate(Action.OVERRIDE_SHIFT, go)

    def action_swap(self) -> None:
        def go(actor: Any) -> None:
            def act(v: dict[str, str]) -> None:
                at_a, at_b = self._times(v["at_a"], v["at_b"])
                roster.swap(self.desk.rt, actor, v["a"], at_a, v["b"], at_b, v["reason"], approved_by=v["approved_by"])

            self._form("swap", PromptForm(_("Swap two officers' shifts"), [
                Field("a", _("First officer (handle)")),
                Field("at_a", _("A time inside their shift (YYYY-MM-DD HH:MM)")),
                Field("b", _("Second officer (handle)")),
                Field("at_b", _("A time inside their shift (YYYY-MM-DD HH:MM)")),
                Field("reason", _("Reason")),
                Field("approved_by", _("Approved by (handle)"), required=False),
            ], _("Swap"), act=act), lambda v: _("Swapped the shifts of {a} and {b}.").format(a=v["a"], b=v["b"]))

        self._gate(Action.OVERRIDE_SHIFT, go)


def _level(text: str) -> int:
    if text.strip() not in ("1", "2", "3"):
        raise Refusal(_("The level must be 1, 2 or 3."))
    return int(text)


register_screen("2", "roster", N_("Roster"), RosterScreen)
