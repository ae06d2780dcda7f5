"""Watch periods: the holiday watches a directive orders (add, list, suggest, current)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from watchdesk.core import holidays_vn
from watchdesk.core.permissions import Action, require
from watchdesk.core.records import Actor
from watchdesk.core.roster import RosterError
from watchdesk.core.text import clean_line, slug
from watchdesk.i18n import _
from watchdesk.services.errors import InvalidInput, NotFound, Refused
from watchdesk.services.limits import NAME_MAX, PERIOD_NOTES_MAX, person_date, person_text
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import append_event
from watchdesk.store.models import WatchPeriod
from watchdesk.store.queries import periods as q


@dataclass(frozen=True)
class PeriodRecord:
    id: int
    name: str
    directive: str
    starts_at: datetime
    ends_at: datetime
    notes: str

    @property
    def slug(self) -> str:
        """The name typed plainly ('tet-2026' for 'Tết 2026'): --period takes either."""
        return slug(self.name)


def to_period(row: WatchPeriod) -> PeriodRecord:
    assert row.starts_at is not None and row.ends_at is not None
    return PeriodRecord(row.id or 0, row.name, row.directive, row.starts_at, row.ends_at, row.notes)


def add_period(
    rt: Runtime, actor: Actor, name: str, starts_at: datetime, ends_at: datetime, directive: str = "", notes: str = ""
) -> PeriodRecord:
    """A new watch period (supervisors)."""
    require(actor.handle, actor.role, Action.EDIT_ROSTER)
    name = person_text(name, NAME_MAX, "a watch period's name", multiline=False)
    if not name:
        raise InvalidInput(_("a watch period needs a name, such as 'tet-2026'."))
    person_date(starts_at.astimezone(rt.zone), f"the start of watch period '{name}'")  # the year as the person wrote it
    person_date(ends_at.astimezone(rt.zone), f"the end of watch period '{name}'")
    if ends_at <= starts_at:
        raise InvalidInput(_("watch period '{name}' ends before it starts; check --start and --end.").format(name=name))
    row = WatchPeriod(
        name=name, directive=person_text(directive, NAME_MAX, "the directive reference", multiline=False),
        starts_at=starts_at, ends_at=ends_at, notes=person_text(notes, PERIOD_NOTES_MAX, "the period's notes"),
    )
    with rt.db.write() as session:
        if q.period_by_name(session, name):
            raise Refused(_("a watch period named '{name}' already exists; see 'watchdesk period list'.").format(name=name))
        same = [r.name for r in q.periods(session) if slug(r.name) == slug(name)]
        if same:
            raise Refused(_("the watch period '{other}' is already called '{slug}' for short; choose a name that "
                            "differs in more than accents, spaces or case.").format(other=same[0], slug=slug(name)))
        session.add(row)
        session.flush()
        append_event(
            session, rt.now(), actor.handle, "period.added", "watch_period", row.id,
            {"name": name, "directive": row.directive, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
        )
    return to_period(row)


def list_periods(rt: Runtime) -> list[PeriodRecord]:
    with rt.db.read() as session:
        return [to_period(r) for r in q.periods(session, by_start=True)]


def get_period(rt: Runtime, name: str) -> PeriodRecord:
    """The period by its name, else by its slug ('tet-2026' for 'Tết 2026', shown by `period list`)."""
    with rt.db.read() as session:
        row = q.period_by_name(session, clean_line(name))
        if row is None:
            wanted = slug(clean_line(name))
            row = next((r for r in q.periods(session) if wanted and slug(r.name) == wanted), None)
    if row is None:
        raise NotFound(_("no watch period named '{name}'; see 'watchdesk period list' (name or slug).").format(name=clean_line(name)))
    return to_period(row)


def current_periods(rt: Runtime, at: datetime | None = None) -> list[PeriodRecord]:
    """The watch periods running at `at` (default now); usually one, [] outside a watch."""
    at = at or rt.now()
    with rt.db.read() as session:
        rows = q.periods_running_at(session, at)
    return [to_period(r) for r in rows]


def suggest_period(rt: Runtime, holiday: str, year: int, evening: time = time(17, 0), morning: time = time(8, 0)) -> holidays_vn.Suggestion:
    """The period around a Vietnamese holiday (nothing is written)."""
    try:
        return holidays_vn.suggest(holiday, year, rt.zone, evening=evening, morning=morning)
    except RosterError as exc:
        raise InvalidInput(str(exc)) from None
