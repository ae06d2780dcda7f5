"""SQLModel tables (the stored shape; domain types live in watchdesk.core).

Times are aware UTC (`UTCDateTime`). Enum-valued columns hold the enum's text value.
Schema changes go through `watchdesk.store.migrations` (a test compares the migrated
schema with these tables).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Computed, Index, LargeBinary, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from watchdesk.store.types import UTCDateTime


def _ts(nullable: bool = True, index: bool = False):  # noqa: ANN202 - sqlmodel Field
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Officer(SQLModel, table=True):
    __tablename__ = "officer"
    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(unique=True, index=True)
    full_name: str
    role: str = "officer"
    phone: str = ""
    email: str = ""
    chat_ids: str = "{}"  # JSON object: {"telegram": "12345", "mattermost": "@lan"}
    pin_hash: str = ""
    active: bool = True
    created_at: datetime | None = _ts(nullable=False)
    os_user: str = ""  # the OS account whose CLI may act as this officer without the PIN ('' none)
    pin_failures: int = 0  # wrong PINs since the last right one (or a supervisor's unlock)
    pin_locked_until: datetime | None = _ts()  # no PIN is tried before this time (the back-off)


class Setting(SQLModel, table=True):
    """Facts about the desk itself, one row each ('identity' = 'demo' on the throwaway demo desk)."""

    __tablename__ = "setting"
    key: str = Field(primary_key=True)
    value: str = ""


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    name: str
    phone: str = ""
    hotline: str = ""
    email: str = ""
    note: str = ""
    to_verify: bool = False


class Event(SQLModel, table=True):
    """The audit log: append-only, hash-chained (see watchdesk.core.audit).

    Only seq, body, prev_hash and hash are stored; the other columns are generated from
    the hashed body (VIRTUAL), so they can be queried and indexed but never edited apart.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_subject", "subject_type", "subject_id"),
        # The few acknowledgments made by someone not on duty, for the ack report without reading every body.
        Index("ix_event_ack_off_duty", "seq",
              sqlite_where=text("kind = 'alert.acknowledged' AND json_extract(body, '$.data.on_duty') = 0")),
    )
    seq: int = Field(primary_key=True)
    body: str
    prev_hash: bytes = Field(sa_column=Column(LargeBinary, unique=True, nullable=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    at: str | None = Field(default=None, sa_column=Column(String, Computed("json_extract(body, '$.at')", persisted=False)))
    actor: str | None = Field(default=None, sa_column=Column(String, Computed("json_extract(body, '$.actor')", persisted=False), index=True))
    kind: str | None = Field(default=None, sa_column=Column(String, Computed("json_extract(body, '$.kind')", persisted=False), index=True))
    subject_type: str | None = Field(default=None, sa_column=Column(String, Computed("json_extract(body, '$.subject_type')", persisted=False)))
    subject_id: str | None = Field(default=None, sa_column=Column(String, Computed("json_extract(body, '$.subject_id')", persisted=False)))
    payload: str | None = Field(default=None, sa_column=Column(String, Computed("json_extract(body, '$.data')", persisted=False)))


class WatchPeriod(SQLModel, table=True):
    __tablename__ = "watch_period"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    directive: str = ""
    starts_at: datetime | None = _ts(nullable=False)
    ends_at: datetime | None = _ts(nullable=False)
    notes: str = ""


class Shift(SQLModel, table=True):
    __tablename__ = "shift"
    __table_args__ = (Index("ix_shift_level_span", "level", "starts_at", "ends_at"),)
    id: int | None = Field(default=None, primary_key=True)
    period_id: int | None = Field(default=None, foreign_key="watch_period.id", index=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    level: int
    starts_at: datetime | None = _ts(nullable=False)
    ends_at: datetime | None = _ts(nullable=False)
    origin: str = "pattern"
    replaces_id: int | None = Field(default=None, foreign_key="shift.id")
    reason: str = ""
    approved_by: str = ""
    note: str = ""
    cancelled: bool = False
    checked_in_at: datetime | None = _ts()


class Source(SQLModel, table=True):
    __tablename__ = "source"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    name: str = ""
    kind: str
    url: str = ""
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    next_poll_at: datetime | None = _ts()
    last_polled_at: datetime | None = _ts()
    last_ok_at: datetime | None = _ts()
    last_new_item_at: datetime | None = _ts()
    last_error: str = ""
    last_error_at: datetime | None = _ts()
    failing_since: datetime | None = _ts()
    failures: int = 0
    health_alert_id: int | None = None
    created_at: datetime | None = _ts()  # baseline for staleness before the first new item
    warning: str = ""  # last problem that did not stop the items coming in ("wrong charset …")
    claimed_by: str = ""  # the runner polling it now (see store/runners.py); '' when none or not an engine
    claimed_until: datetime | None = _ts()  # the lease that claim wrote into next_poll_at


class SiteWatch(SQLModel, table=True):
    """One of our own websites (a source of kind site): its baseline and its latest check."""

    __tablename__ = "site_watch"
    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(unique=True, index=True)
    baseline_at: datetime | None = _ts()
    baseline_by: str = ""
    baseline_url: str = ""
    baseline_host: str = ""
    baseline_title: str = ""
    baseline_text: str = ""
    baseline_text_hash: str = ""
    checked_at: datetime | None = _ts()
    outcome: str = ""  # up, down, untrusted, off-host
    http_status: int | None = None
    final_url: str = ""
    final_host: str = ""
    cert_not_after: datetime | None = _ts()
    title: str = ""
    text: str = ""  # the latest check's visible text (cleaned, capped)
    text_hash: str = ""
    changed_share: float | None = None
    error: str = ""
    down_count: int = 0
    down_since: datetime | None = _ts()
    down_alert_id: int | None = None
    conditions: str = "{}"  # JSON: condition -> {since, fingerprint, alert}; one alert per occurrence


class BotnetList(SQLModel, table=True):
    """A botnet list imported (`watchdesk botnet import`): one row per file, never imported twice."""

    __tablename__ = "botnet_list"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)  # the officer's name for it: '2026-11'
    file_name: str = ""
    file_hash: str = Field(unique=True, index=True)  # sha256 of the file's bytes
    rows: int = 0  # data rows read
    matched: int = 0  # distinct addresses of ours
    imported_by: str = ""
    imported_at: datetime | None = _ts(nullable=False)


class BotnetMatch(SQLModel, table=True):
    """An address of ours found in a botnet list, with what the list said of it."""

    __tablename__ = "botnet_match"
    __table_args__ = (UniqueConstraint("list_id", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="botnet_list.id", index=True)
    address: str = Field(index=True)  # normal written form
    network: str = ""  # our network (CIDR) it is in
    network_name: str = ""
    families: str = "[]"  # JSON list of malware families
    ports: str = "[]"  # JSON list of ports
    organisations: str = "[]"  # JSON list
    times_seen: int = 0  # rows of the list naming the address
    first_seen: datetime | None = _ts()
    last_seen: datetime | None = _ts()
    alert_id: int | None = Field(default=None, foreign_key="alert.id")


class Alert(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_state_deadline", "state", "next_escalation_at"),
        Index("ix_alert_received", "received_at"),
        Index("ix_alert_state_resolved", "state", "resolved_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(index=True)
    native_id: str = ""
    dedup_key: str = Field(unique=True)
    title: str
    summary: str = ""
    link: str = ""
    attachments: str = "[]"  # JSON list of {"title", "url"}
    severity: str = "medium"
    severity_raw: str = ""
    category: str = "other"
    cves: str = "[]"  # JSON list of the subject CVEs (what it is about), also indexed in alert_cve
    mentions: str = "[]"  # JSON list of CVEs named only in its prose: related, searchable, never joined
    doc_number: str = ""
    affects_us: bool = False
    content_hash: str = ""  # of the normalized item, to tell a real update from a re-poll
    published_at: datetime | None = _ts()
    received_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts()
    state: str = "new"
    level: int = 1
    step: int = 0  # index of the policy step reached
    round: int = 0
    next_escalation_at: datetime | None = _ts()
    exhausted: bool = False
    assignee_id: int | None = Field(default=None, foreign_key="officer.id")
    acked_by_id: int | None = Field(default=None, foreign_key="officer.id")
    acked_at: datetime | None = _ts()
    first_acked_at: datetime | None = _ts()
    resolved_by_id: int | None = Field(default=None, foreign_key="officer.id")
    resolved_at: datetime | None = _ts()
    resolution: str = ""
    snoozed_until: datetime | None = _ts()
    # Durations in integer microseconds, written in the transaction that sets what they measure
    # (reports add integers on any backend; the report's proof holds them against the chained events).
    # BIGINT: microseconds pass 2^31 after 36 minutes (SQLite's INTEGER is 64-bit already).
    snoozed_us: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))  # snoozed before the first acknowledgment
    ack_us: int | None = Field(default=None, sa_column=Column(BigInteger))  # first_acked_at − received_at − snoozed_us; None until acknowledged
    resolve_us: int | None = Field(default=None, sa_column=Column(BigInteger))  # resolved_at − received_at; None until resolved
    joined_to_id: int | None = Field(default=None, foreign_key="alert.id")


class InboundKey(SQLModel, table=True):
    """An alert posted in by local monitoring, by what identifies it at the sender.

    One row per occurrence: (integration, fingerprint) firing again after its alert was resolved
    is occurrence n + 1, a new alert linked to the one before (`previous_alert_id`)."""

    __tablename__ = "inbound_key"
    __table_args__ = (UniqueConstraint("integration", "fingerprint", "occurrence"),)
    id: int | None = Field(default=None, primary_key=True)
    integration: str
    fingerprint: str  # sha256 of the sender's fingerprint / dedup key (any length, any text)
    occurrence: int = 1
    alert_id: int = Field(foreign_key="alert.id", unique=True, index=True)
    previous_alert_id: int | None = Field(default=None, foreign_key="alert.id")
    last_seen_at: datetime | None = _ts()
    source_resolved_at: datetime | None = _ts()  # the sender said resolved while an officer held it


class AlertCve(SQLModel, table=True):
    __tablename__ = "alert_cve"
    alert_id: int = Field(foreign_key="alert.id", primary_key=True)
    cve: str = Field(primary_key=True, index=True)
    mention: bool = False  # named only in the prose: relates alerts, never joins them


class Notification(SQLModel, table=True):
    """The outbox: one row per message; dedup_key makes delivery once per (alert, level, round, target)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    alert_id: int | None = Field(default=None, foreign_key="alert.id", index=True)
    level: int = 0
    round: int = 0
    channel: str
    target: str = ""
    dedup_key: str = Field(unique=True)
    subject: str = ""
    body: str = ""
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = _ts()
    claimed_until: datetime | None = _ts()
    claimed_by: str = ""  # the runner sending it now; its claim lasts while that runner heartbeats
    last_error: str = ""
    created_at: datetime | None = _ts(nullable=False)
    sent_at: datetime | None = _ts()


class CallTask(SQLModel, table=True):
    """An outside contact to call for an alert, and how the call went."""

    __tablename__ = "call_task"
    __table_args__ = (UniqueConstraint("alert_id", "contact_key", "round", "step"),)
    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    contact_key: str
    step: int = 0
    round: int = 0
    created_at: datetime | None = _ts(nullable=False)
    outcome: str = ""  # "" (to do), called, no-answer, reported
    reference: str = ""
    note: str = ""
    done_by_id: int | None = Field(default=None, foreign_key="officer.id")
    done_at: datetime | None = _ts()


class Handover(SQLModel, table=True):
    __tablename__ = "handover"
    id: int | None = Field(default=None, primary_key=True)
    shift_id: int | None = Field(default=None, foreign_key="shift.id", index=True)
    outgoing_id: int | None = Field(default=None, foreign_key="officer.id")
    incoming_id: int | None = Field(default=None, foreign_key="officer.id")
    period_start: datetime | None = _ts()
    period_end: datetime | None = _ts()
    summary: str = "{}"  # JSON draft drawn from the log
    notes: str = ""
    remarks: str = ""
    signed_out_at: datetime | None = _ts()
    accepted_at: datetime | None = _ts()
    due_at: datetime | None = _ts()
    alert_id: int | None = None  # the alert raised when acceptance is late
    accepted_by_id: int | None = Field(default=None, foreign_key="officer.id")  # may differ from incoming (a lead on their behalf)
    signed_out_early: bool = False  # confirmed: signed out more than handover.early_window before the shift ended
    accepted_early: bool = False  # confirmed: accepted more than handover.early_window before the incoming shift began


class Runner(SQLModel, table=True):
    """Engines alive against this database (heartbeats), so a desk knows when `serve` runs."""

    __tablename__ = "runner"
    id: str = Field(primary_key=True)  # host:pid:kind
    kind: str  # serve | desk | tick
    started_at: datetime | None = _ts(nullable=False)
    heartbeat_at: datetime | None = _ts(nullable=False)


class EngineLease(SQLModel, table=True):
    """Which runner does an engine job (poll, escalate, deliver, checks): one at a time, while it
    heartbeats (store/runners.py)."""

    __tablename__ = "engine_lease"
    job: str = Field(primary_key=True)
    held_by: str  # a runner id; the lease is free once that runner's heartbeat is stale or gone
    taken_at: datetime | None = _ts(nullable=False)


class ChangeMark(SQLModel, table=True):
    """One row whose `n` triggers move on every change to a table a screen shows (all but `runner`):
    `PRAGMA data_version` moves on every commit (an engine's heartbeat each second), this only on
    a change to show, whoever wrote it (another watchdesk, an older one, the sqlite3 shell)."""

    __tablename__ = "change_mark"
    id: int = Field(default=1, primary_key=True)
    n: int = 0


class SchemaVersion(SQLModel, table=True):
    __tablename__ = "schema_version"
    id: int = Field(default=1, primary_key=True)
    version: int
