"""Messages of the desk, as dataclasses (workers post them; handlers on the UI thread act)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from watchdesk.core.records import Actor, AlertRecord


@dataclass
class DataChanged(Message, bubble=False):
    """Another connection (this desk's engine, the CLI, a second desk) committed to the database."""

    version: int

    def can_replace(self, message: Message) -> bool:  # a burst of commits needs one reload
        return isinstance(message, DataChanged)


@dataclass
class AlertsLoaded(Message, bubble=False):
    """The board's rows, read in a worker, with each alert's folded text for the search."""

    alerts: list[AlertRecord]
    haystacks: dict[int, str] = field(default_factory=dict)


@dataclass
class HeaderLoaded(Message, bubble=False):
    """Watch period and who is on duty, for the header."""

    period: str
    period_ends: Any  # datetime | None
    on_duty: dict[int, list[str]]


@dataclass
class ActionDone(Message, bubble=False):
    """An action on an alert succeeded; `sentence` is shown to the operator."""

    action: str
    alert_id: int
    sentence: str


@dataclass
class ActionRefused(Message, bubble=False):
    """An action was refused (permission, lost race, bad input); one sentence to show."""

    action: str
    sentence: str
    alert_id: int | None = None


@dataclass
class SignedIn(Message, bubble=False):
    actor: Actor


@dataclass
class NewAlerts(Message, bubble=False):
    """Alerts that arrived since the board last looked (bell and banner), and the ids of
    `settled` ones: acknowledged or resolved elsewhere, so the banner lets them go."""

    alerts: list[AlertRecord] = field(default_factory=list)
    settled: list[int] = field(default_factory=list)


@dataclass
class DetailLoaded(Message, bubble=False):
    """Everything the alert detail screen shows, read in a worker."""

    alert: AlertRecord
    timeline: list[Any]
    notifications: list[Any]
    calls: list[Any]
    plan: list[Any]
    related: list[AlertRecord]


@dataclass
class LogLoaded(Message, bubble=False):
    events: list[Any]


@dataclass
class LogVerified(Message, bubble=False):
    ok: bool
    sentence: str


@dataclass
class SourcesLoaded(Message, bubble=False):
    """Source health records (watchdesk.services.sources.SourceHealth)."""

    sources: list[Any]


@dataclass
class RosterLoaded(Message, bubble=False):
    """The week grid (watchdesk.core.roster.WeekGrid), the week's shifts at the level, its gaps."""

    grid: Any
    shifts: list[Any]
    gaps: list[Any]


@dataclass
class EngineStatus(Message, bubble=False):
    """After each engine cycle: '' when it ran, else why it did not (watching only, an error)."""

    note: str


@dataclass
class PollDone(Message, bubble=False):
    """A change poll finished; `version` is set when the database changed."""

    version: int | None


@dataclass
class OfficersLoaded(Message, bubble=False):
    """Active officers, for the sign-in list (and whether this is the PIN-less demo desk)."""

    officers: list[Any]
    demo: bool = False


@dataclass
class RuntimeOpened(Message, bubble=False):
    """The opening worker opened the database (watchdesk.services.runtime.Runtime); the store is imported."""

    rt: Any
    high_water: Any  # services.desk_state.HighWater: the highest alert and notification ids and the change mark when the desk opened


@dataclass
class RuntimeFailed(Message, bubble=False):
    """The opening worker could not validate the config or open the database; `sentence` says why
    and what to do. `closes`: the config is invalid, nothing on the desk can help, so it closes."""

    sentence: str
    closes: bool = False
