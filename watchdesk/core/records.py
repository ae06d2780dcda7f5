"""Frozen domain records handed from services to the CLI and the TUI (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from watchdesk.core.enums import AlertState, Role, Severity


@dataclass(frozen=True)
class Actor:
    """The person (or the system) doing an action."""

    handle: str
    role: Role
    officer_id: int | None = None
    full_name: str = ""
    proof: str = ""
    """How the claim was checked: 'pin', 'os-user' (their own OS account), 'demo' (the demo desk),
    'none' (an officer without a PIN: a claim), 'first-pin' (only to set their own first PIN)."""

    @property
    def is_system(self) -> bool:
        return self.officer_id is None


SYSTEM_ACTOR = Actor(handle="system", role=Role.SUPERVISOR, officer_id=None, full_name="watchdesk")


@dataclass(frozen=True)
class OfficerRecord:
    id: int
    handle: str
    full_name: str
    role: Role
    phone: str
    email: str
    chat_ids: dict[str, str]
    has_pin: bool
    active: bool
    os_user: str = ""
    pin_failures: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True)
class ContactRecord:
    key: str
    name: str
    phone: str
    hotline: str
    email: str
    note: str
    to_verify: bool


@dataclass(frozen=True)
class AlertRecord:
    id: int
    source: str
    native_id: str
    title: str
    summary: str
    link: str
    severity: Severity
    severity_raw: str
    category: str
    cves: tuple[str, ...]
    doc_number: str
    published_at: datetime | None
    received_at: datetime
    state: AlertState
    level: int
    round: int
    step: int
    next_escalation_at: datetime | None
    exhausted: bool
    assignee: str
    acked_by: str
    acked_at: datetime | None
    resolved_by: str
    resolved_at: datetime | None
    resolution: str
    snoozed_until: datetime | None
    affects_us: bool
    joined_to: int | None
    attachments: tuple[dict[str, str], ...] = ()
    related: tuple[int, ...] = field(default=())
    mentions: tuple[str, ...] = ()
    """CVE ids its prose only mentions (the subject is `cves`)."""
