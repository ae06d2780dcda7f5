"""Versioned schema migrations.

Why not alembic: watchdesk ships a single-file database to desks that upgrade by
installing a new package, with no migration scripts directory to deploy or `env.py` to
configure; SQLite's limited ALTER TABLE would need alembic's batch mode anyway, and the
audit triggers are raw SQL. A numbered list of SQL steps applied in one `BEGIN IMMEDIATE`
transaction per step, with the version in `schema_version`, is all we need. The frozen
DDL below is the history; `tests/store/test_migrations.py` proves the migrated schema
equals the SQLModel tables, so a model change without a migration fails the suite.

PostgreSQL starts from a baseline at `postgresql.BASELINE_VERSION` (the whole schema of the
migrations up to it, translated); every later migration carries its `postgresql` text beside
the SQLite one, and the suite proves both schemas equal the models.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from watchdesk.store import postgresql


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str
    postgresql: str = ""  # the same step on PostgreSQL; required after postgresql.BASELINE_VERSION


class SchemaTooNew(Exception):
    """The database was written by a newer watchdesk."""


# Microseconds from one stored UTC text ('YYYY-MM-DD HH:MM:SS.ffffff') to another: whole seconds from
# julianday() of the first 19 characters, rounded (a double is off by ~1e-5 s there), plus the six
# fraction digits as integers. Exact, like the Python the lifecycle writes with (store.types.micros).
_MICROS = ("(CAST(round((julianday(substr({later}, 1, 19)) - julianday(substr({earlier}, 1, 19))) * 86400) AS INTEGER)"
           " * 1000000 + CAST(substr({later}, 21) AS INTEGER) - CAST(substr({earlier}, 21) AS INTEGER))")

_PG_MICROS = "CAST(round(EXTRACT(EPOCH FROM (CAST({later} AS TIMESTAMP) - CAST({earlier} AS TIMESTAMP))) * 1000000) AS BIGINT)"

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "foundation: officers, contacts, the audit log",
        """
CREATE TABLE officer (
    id INTEGER NOT NULL,
    handle VARCHAR NOT NULL,
    full_name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    phone VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    chat_ids VARCHAR NOT NULL,
    pin_hash VARCHAR NOT NULL,
    active BOOLEAN NOT NULL,
    created_at VARCHAR(26) NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_officer_handle ON officer (handle);
CREATE TABLE contact (
    id INTEGER NOT NULL,
    "key" VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    phone VARCHAR NOT NULL,
    hotline VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    note VARCHAR NOT NULL,
    to_verify BOOLEAN NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_contact_key ON contact ("key");
CREATE TABLE event (
    seq INTEGER NOT NULL,
    body VARCHAR NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    at VARCHAR GENERATED ALWAYS AS (json_extract(body, '$.at')) VIRTUAL,
    actor VARCHAR GENERATED ALWAYS AS (json_extract(body, '$.actor')) VIRTUAL,
    kind VARCHAR GENERATED ALWAYS AS (json_extract(body, '$.kind')) VIRTUAL,
    subject_type VARCHAR GENERATED ALWAYS AS (json_extract(body, '$.subject_type')) VIRTUAL,
    subject_id VARCHAR GENERATED ALWAYS AS (json_extract(body, '$.subject_id')) VIRTUAL,
    payload VARCHAR GENERATED ALWAYS AS (json_extract(body, '$.data')) VIRTUAL,
    PRIMARY KEY (seq),
    UNIQUE (prev_hash)
);
CREATE INDEX ix_event_actor ON event (actor);
CREATE INDEX ix_event_kind ON event (kind);
CREATE INDEX ix_event_subject ON event (subject_type, subject_id);
CREATE TABLE schema_version (
    id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (id)
);
CREATE TRIGGER event_no_update BEFORE UPDATE ON event
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: events cannot be changed'); END;
CREATE TRIGGER event_no_delete BEFORE DELETE ON event
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: events cannot be deleted'); END;
""",
    ),
    Migration(
        2,
        "alerts: sources, alerts, CVE index, outbox, call tasks, runners",
        """
CREATE TABLE source (
    id INTEGER NOT NULL,
    "key" VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    etag VARCHAR NOT NULL,
    last_modified VARCHAR NOT NULL,
    body_hash VARCHAR NOT NULL,
    next_poll_at VARCHAR(26),
    last_polled_at VARCHAR(26),
    last_ok_at VARCHAR(26),
    last_new_item_at VARCHAR(26),
    last_error VARCHAR NOT NULL,
    last_error_at VARCHAR(26),
    failing_since VARCHAR(26),
    failures INTEGER NOT NULL,
    health_alert_id INTEGER,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_source_key ON source ("key");
CREATE TABLE alert (
    id INTEGER NOT NULL,
    source_key VARCHAR NOT NULL,
    native_id VARCHAR NOT NULL,
    dedup_key VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    summary VARCHAR NOT NULL,
    link VARCHAR NOT NULL,
    attachments VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    severity_raw VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    cves VARCHAR NOT NULL,
    doc_number VARCHAR NOT NULL,
    affects_us BOOLEAN NOT NULL,
    content_hash VARCHAR NOT NULL,
    published_at VARCHAR(26),
    received_at VARCHAR(26) NOT NULL,
    updated_at VARCHAR(26),
    state VARCHAR NOT NULL,
    level INTEGER NOT NULL,
    step INTEGER NOT NULL,
    round INTEGER NOT NULL,
    next_escalation_at VARCHAR(26),
    exhausted BOOLEAN NOT NULL,
    assignee_id INTEGER,
    acked_by_id INTEGER,
    acked_at VARCHAR(26),
    first_acked_at VARCHAR(26),
    resolved_by_id INTEGER,
    resolved_at VARCHAR(26),
    resolution VARCHAR NOT NULL,
    snoozed_until VARCHAR(26),
    snoozed_seconds FLOAT NOT NULL,
    joined_to_id INTEGER,
    PRIMARY KEY (id),
    UNIQUE (dedup_key),
    FOREIGN KEY(assignee_id) REFERENCES officer (id),
    FOREIGN KEY(acked_by_id) REFERENCES officer (id),
    FOREIGN KEY(resolved_by_id) REFERENCES officer (id),
    FOREIGN KEY(joined_to_id) REFERENCES alert (id)
);
CREATE INDEX ix_alert_received ON alert (received_at);
CREATE INDEX ix_alert_source_key ON alert (source_key);
CREATE INDEX ix_alert_state_deadline ON alert (state, next_escalation_at);
CREATE TABLE alert_cve (
    alert_id INTEGER NOT NULL,
    cve VARCHAR NOT NULL,
    PRIMARY KEY (alert_id, cve),
    FOREIGN KEY(alert_id) REFERENCES alert (id)
);
CREATE INDEX ix_alert_cve_cve ON alert_cve (cve);
CREATE TABLE notification (
    id INTEGER NOT NULL,
    alert_id INTEGER,
    level INTEGER NOT NULL,
    round INTEGER NOT NULL,
    channel VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    dedup_key VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at VARCHAR(26),
    claimed_until VARCHAR(26),
    last_error VARCHAR NOT NULL,
    created_at VARCHAR(26) NOT NULL,
    sent_at VARCHAR(26),
    PRIMARY KEY (id),
    FOREIGN KEY(alert_id) REFERENCES alert (id),
    UNIQUE (dedup_key)
);
CREATE INDEX ix_notification_alert_id ON notification (alert_id);
CREATE INDEX ix_notification_due ON notification (status, next_attempt_at);
CREATE TABLE call_task (
    id INTEGER NOT NULL,
    alert_id INTEGER NOT NULL,
    contact_key VARCHAR NOT NULL,
    step INTEGER NOT NULL,
    round INTEGER NOT NULL,
    created_at VARCHAR(26) NOT NULL,
    outcome VARCHAR NOT NULL,
    reference VARCHAR NOT NULL,
    note VARCHAR NOT NULL,
    done_by_id INTEGER,
    done_at VARCHAR(26),
    PRIMARY KEY (id),
    UNIQUE (alert_id, contact_key, round, step),
    FOREIGN KEY(alert_id) REFERENCES alert (id),
    FOREIGN KEY(done_by_id) REFERENCES officer (id)
);
CREATE INDEX ix_call_task_alert_id ON call_task (alert_id);
CREATE TABLE runner (
    id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    started_at VARCHAR(26) NOT NULL,
    heartbeat_at VARCHAR(26) NOT NULL,
    PRIMARY KEY (id)
);
""",
    ),
    Migration(
        3,
        "rosters: watch periods, shifts, handovers",
        """
CREATE TABLE watch_period (
    id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    directive VARCHAR NOT NULL,
    starts_at VARCHAR(26) NOT NULL,
    ends_at VARCHAR(26) NOT NULL,
    notes VARCHAR NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_watch_period_name ON watch_period (name);
CREATE TABLE shift (
    id INTEGER NOT NULL,
    period_id INTEGER,
    officer_id INTEGER NOT NULL,
    level INTEGER NOT NULL,
    starts_at VARCHAR(26) NOT NULL,
    ends_at VARCHAR(26) NOT NULL,
    origin VARCHAR NOT NULL,
    replaces_id INTEGER,
    reason VARCHAR NOT NULL,
    approved_by VARCHAR NOT NULL,
    note VARCHAR NOT NULL,
    cancelled BOOLEAN NOT NULL,
    checked_in_at VARCHAR(26),
    PRIMARY KEY (id),
    FOREIGN KEY(period_id) REFERENCES watch_period (id),
    FOREIGN KEY(officer_id) REFERENCES officer (id),
    FOREIGN KEY(replaces_id) REFERENCES shift (id)
);
CREATE INDEX ix_shift_level_span ON shift (level, starts_at, ends_at);
CREATE INDEX ix_shift_officer_id ON shift (officer_id);
CREATE INDEX ix_shift_period_id ON shift (period_id);
CREATE TABLE handover (
    id INTEGER NOT NULL,
    shift_id INTEGER,
    outgoing_id INTEGER,
    incoming_id INTEGER,
    period_start VARCHAR(26),
    period_end VARCHAR(26),
    summary VARCHAR NOT NULL,
    notes VARCHAR NOT NULL,
    remarks VARCHAR NOT NULL,
    signed_out_at VARCHAR(26),
    accepted_at VARCHAR(26),
    due_at VARCHAR(26),
    alert_id INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY(shift_id) REFERENCES shift (id),
    FOREIGN KEY(outgoing_id) REFERENCES officer (id),
    FOREIGN KEY(incoming_id) REFERENCES officer (id)
);
CREATE INDEX ix_handover_shift_id ON handover (shift_id);
""",
    ),
    Migration(
        4,
        "sources: when a source row was created (staleness baseline) and its last warning",
        """
ALTER TABLE source ADD COLUMN created_at VARCHAR(26);
ALTER TABLE source ADD COLUMN warning VARCHAR NOT NULL DEFAULT '';
""",
    ),
    Migration(
        5,
        "alerts: index for the latest resolved alerts (the desk's board on a long history)",
        """
CREATE INDEX ix_alert_state_resolved ON alert (state, resolved_at);
""",
    ),
    Migration(
        6,
        "change mark: moved by every change to what a screen shows (not by an engine's heartbeat)",
        """
CREATE TABLE change_mark (
    id INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (id)
);
INSERT INTO change_mark (id, n) VALUES (1, 0);
CREATE TRIGGER mark_officer_insert AFTER INSERT ON officer BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_officer_update AFTER UPDATE ON officer BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_officer_delete AFTER DELETE ON officer BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_contact_insert AFTER INSERT ON contact BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_contact_update AFTER UPDATE ON contact BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_contact_delete AFTER DELETE ON contact BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_event_insert AFTER INSERT ON event BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_event_update AFTER UPDATE ON event BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_event_delete AFTER DELETE ON event BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_source_insert AFTER INSERT ON source BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_source_update AFTER UPDATE ON source BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_source_delete AFTER DELETE ON source BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_alert_insert AFTER INSERT ON alert BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_alert_update AFTER UPDATE ON alert BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_alert_delete AFTER DELETE ON alert BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_alert_cve_insert AFTER INSERT ON alert_cve BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_alert_cve_update AFTER UPDATE ON alert_cve BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_alert_cve_delete AFTER DELETE ON alert_cve BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_notification_insert AFTER INSERT ON notification BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_notification_update AFTER UPDATE ON notification BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_notification_delete AFTER DELETE ON notification BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_call_task_insert AFTER INSERT ON call_task BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_call_task_update AFTER UPDATE ON call_task BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_call_task_delete AFTER DELETE ON call_task BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_watch_period_insert AFTER INSERT ON watch_period BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_watch_period_update AFTER UPDATE ON watch_period BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_watch_period_delete AFTER DELETE ON watch_period BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_shift_insert AFTER INSERT ON shift BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_shift_update AFTER UPDATE ON shift BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_shift_delete AFTER DELETE ON shift BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_handover_insert AFTER INSERT ON handover BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_handover_update AFTER UPDATE ON handover BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_handover_delete AFTER DELETE ON handover BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
""",
    ),
    Migration(
        7,
        "alerts: CVEs only mentioned in the prose kept apart from the subject CVEs (joining uses the subject only)",
        """
ALTER TABLE alert ADD COLUMN mentions VARCHAR NOT NULL DEFAULT '[]';
ALTER TABLE alert_cve ADD COLUMN mention BOOLEAN NOT NULL DEFAULT 0;
""",
    ),
    Migration(
        8,
        "handover: who accepted it apart from the rostered incoming officer; early sign-out/acceptance marks; "
        "index of acknowledgments made off duty",
        """
CREATE INDEX ix_event_ack_off_duty ON event (seq)
    WHERE kind = 'alert.acknowledged' AND json_extract(body, '$.data.on_duty') = 0;
ALTER TABLE handover ADD COLUMN accepted_by_id INTEGER REFERENCES officer (id);
ALTER TABLE handover ADD COLUMN signed_out_early BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE handover ADD COLUMN accepted_early BOOLEAN NOT NULL DEFAULT 0;
UPDATE handover SET accepted_by_id = incoming_id WHERE accepted_at IS NOT NULL;
""",
    ),
    Migration(
        9,
        "identity: officers bound to an OS account, the PIN back-off, and the desk's settings (a demo desk)",
        """
ALTER TABLE officer ADD COLUMN os_user VARCHAR NOT NULL DEFAULT '';
ALTER TABLE officer ADD COLUMN pin_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE officer ADD COLUMN pin_locked_until VARCHAR(26);
CREATE TABLE setting (
    key VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    PRIMARY KEY (key)
);
CREATE TRIGGER mark_setting_insert AFTER INSERT ON setting BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_setting_update AFTER UPDATE ON setting BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER mark_setting_delete AFTER DELETE ON setting BEGIN UPDATE change_mark SET n = n + 1 WHERE id = 1; END;
""",
    ),
    Migration(
        11,
        "claims name their runner: a page or a poll held by a dead engine is taken over when its heartbeat stops",
        """
ALTER TABLE notification ADD COLUMN claimed_by VARCHAR NOT NULL DEFAULT '';
ALTER TABLE source ADD COLUMN claimed_by VARCHAR NOT NULL DEFAULT '';
ALTER TABLE source ADD COLUMN claimed_until VARCHAR(26);
""",
    ),
    Migration(
        13,
        "site_watch: our own websites' baselines and latest checks (sources of kind site)",
        """
CREATE TABLE site_watch (
    id INTEGER NOT NULL,
    source_key VARCHAR NOT NULL,
    baseline_at VARCHAR(26),
    baseline_by VARCHAR NOT NULL,
    baseline_url VARCHAR NOT NULL,
    baseline_host VARCHAR NOT NULL,
    baseline_title VARCHAR NOT NULL,
    baseline_text VARCHAR NOT NULL,
    baseline_text_hash VARCHAR NOT NULL,
    checked_at VARCHAR(26),
    outcome VARCHAR NOT NULL,
    http_status INTEGER,
    final_url VARCHAR NOT NULL,
    final_host VARCHAR NOT NULL,
    cert_not_after VARCHAR(26),
    title VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    text_hash VARCHAR NOT NULL,
    changed_share FLOAT,
    error VARCHAR NOT NULL,
    down_count INTEGER NOT NULL,
    down_since VARCHAR(26),
    down_alert_id INTEGER,
    conditions VARCHAR NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_site_watch_source_key ON site_watch (source_key);
""",
    ),
    Migration(
        14,
        "botnet lists: each list imported (name, file hash, rows, who, when) and our addresses found in it",
        """
CREATE TABLE botnet_list (
    id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    rows INTEGER NOT NULL,
    matched INTEGER NOT NULL,
    imported_by VARCHAR NOT NULL,
    imported_at VARCHAR(26) NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_botnet_list_name ON botnet_list (name);
CREATE UNIQUE INDEX ix_botnet_list_file_hash ON botnet_list (file_hash);
CREATE TABLE botnet_match (
    id INTEGER NOT NULL,
    list_id INTEGER NOT NULL,
    address VARCHAR NOT NULL,
    network VARCHAR NOT NULL,
    network_name VARCHAR NOT NULL,
    families VARCHAR NOT NULL,
    ports VARCHAR NOT NULL,
    organisations VARCHAR NOT NULL,
    times_seen INTEGER NOT NULL,
    first_seen VARCHAR(26),
    last_seen VARCHAR(26),
    alert_id INTEGER,
    PRIMARY KEY (id),
    UNIQUE (list_id, address),
    FOREIGN KEY(list_id) REFERENCES botnet_list (id),
    FOREIGN KEY(alert_id) REFERENCES alert (id)
);
CREATE INDEX ix_botnet_match_list_id ON botnet_match (list_id);
CREATE INDEX ix_botnet_match_address ON botnet_match (address);
""",
    ),
    Migration(
        15,
        "inbound_key: alerts posted in by local monitoring, by the sender's fingerprint and occurrence",
        """
CREATE TABLE inbound_key (
    id INTEGER NOT NULL,
    integration VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    occurrence INTEGER NOT NULL,
    alert_id INTEGER NOT NULL,
    previous_alert_id INTEGER,
    last_seen_at VARCHAR(26),
    source_resolved_at VARCHAR(26),
    PRIMARY KEY (id),
    UNIQUE (integration, fingerprint, occurrence),
    FOREIGN KEY(alert_id) REFERENCES alert (id),
    FOREIGN KEY(previous_alert_id) REFERENCES alert (id)
);
CREATE UNIQUE INDEX ix_inbound_key_alert_id ON inbound_key (alert_id);
""",
    ),
    # SQLite-only: the fill turns stored UTC text into microseconds with julianday/substr (see _MICROS);
    # the escalations' partial index holds each one's alert and level, so the report reads no body.
    Migration(
        16,
        "alert durations stored at write time: ack_us, resolve_us, snoozed_us (integer microseconds; "
        "snoozed_seconds, a float, goes); the escalations' alert and level indexed for the report",
        """
ALTER TABLE alert ADD COLUMN ack_us INTEGER;
ALTER TABLE alert ADD COLUMN resolve_us INTEGER;
ALTER TABLE alert ADD COLUMN snoozed_us INTEGER NOT NULL DEFAULT 0;
UPDATE alert SET snoozed_us = CAST(round(snoozed_seconds * 1000000) AS INTEGER);
UPDATE alert SET ack_us = {ack} - snoozed_us WHERE first_acked_at IS NOT NULL;
UPDATE alert SET resolve_us = {resolve} WHERE resolved_at IS NOT NULL;
ALTER TABLE alert DROP COLUMN snoozed_seconds;
CREATE INDEX ix_event_escalated ON event (seq, subject_id, json_extract(body, '$.data.level')) WHERE kind = 'alert.escalated';
""".format(ack=_MICROS.format(later="first_acked_at", earlier="received_at"),
           resolve=_MICROS.format(later="resolved_at", earlier="received_at")),
        postgresql="""
ALTER TABLE alert ADD COLUMN ack_us BIGINT;
ALTER TABLE alert ADD COLUMN resolve_us BIGINT;
ALTER TABLE alert ADD COLUMN snoozed_us BIGINT NOT NULL DEFAULT 0;
UPDATE alert SET snoozed_us = CAST(round(CAST(snoozed_seconds AS NUMERIC) * 1000000) AS BIGINT);
UPDATE alert SET ack_us = {ack} - snoozed_us WHERE first_acked_at IS NOT NULL;
UPDATE alert SET resolve_us = {resolve} WHERE resolved_at IS NOT NULL;
ALTER TABLE alert DROP COLUMN snoozed_seconds;
CREATE INDEX ix_event_escalated ON event (seq, subject_id, ((body::json -> 'data' ->> 'level'))) WHERE kind = 'alert.escalated';
""".format(ack=_PG_MICROS.format(later="first_acked_at", earlier="received_at"),
           resolve=_PG_MICROS.format(later="resolved_at", earlier="received_at")),
    ),
    Migration(
        17,
        "engine_lease: each engine job (poll, escalate, deliver, checks) done by one engine at a time, while it "
        "heartbeats; on PostgreSQL a write that appends no event (an outbox claim) moves no change mark",
        """
CREATE TABLE engine_lease (
    job VARCHAR NOT NULL,
    held_by VARCHAR NOT NULL,
    taken_at VARCHAR(26) NOT NULL,
    PRIMARY KEY (job)
);
""",
        postgresql=f"""
CREATE TABLE engine_lease (
    job VARCHAR NOT NULL,
    held_by VARCHAR NOT NULL,
    taken_at {postgresql.TIME} NOT NULL,
    PRIMARY KEY (job)
);
{postgresql.MARK_CHANGE_17}""",
    ),
)

# Tables whose rows no screen shows: no change-mark triggers (tests/store/test_change_mark.py
# fails when a new table has neither triggers nor a place here).
# botnet_list/botnet_match: read by `watchdesk botnet` only; the alerts they raise move the mark.
# engine_lease: who does which engine job; moves with the engines, not with anything shown.
UNMARKED_TABLES = frozenset({"runner", "engine_lease", "schema_version", "change_mark", "site_watch", "inbound_key",
                             "botnet_list", "botnet_match"})

LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    """0 for an empty database."""
    if conn.dialect.name == "sqlite":
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).first()
    else:
        exists = conn.execute(text("SELECT to_regclass('schema_version')")).scalar()
    if not exists:
        return 0
    row = conn.execute(text("SELECT version FROM schema_version WHERE id = 1")).first()
    return int(row[0]) if row else 0


def check_not_newer(version: int, where: str) -> None:
    if version > LATEST:
        raise SchemaTooNew(
            f"{where}: the database is at schema version {version}, newer than this watchdesk "
            f"understands ({LATEST}); upgrade watchdesk before opening it."
        )


POSTGRESQL_BASELINE = Migration(
    postgresql.BASELINE_VERSION,
    f"the whole schema at version {postgresql.BASELINE_VERSION}, on PostgreSQL",
    "",
    postgresql.BASELINE,
)


def pending(version: int, dialect: str = "sqlite") -> list[Migration]:
    if dialect == "sqlite":
        return [m for m in MIGRATIONS if m.version > version]
    later = [m for m in MIGRATIONS if m.version > max(version, postgresql.BASELINE_VERSION)]
    return ([POSTGRESQL_BASELINE] if version < postgresql.BASELINE_VERSION else []) + later


def apply(conn: Connection, migration: Migration, dialect: str = "sqlite") -> None:
    """Run one migration's statements and record the new version (caller owns the transaction)."""
    if dialect == "sqlite":
        for statement in _statements(migration.sql):
            conn.exec_driver_sql(statement)
    elif not migration.postgresql:
        raise RuntimeError(f"migration {migration.version} has no PostgreSQL text")
    else:
        # One script: psycopg runs several statements in one call when there are no parameters,
        # and plpgsql bodies ($$ … $$) hold semicolons a line splitter would cut.
        conn.exec_driver_sql(migration.postgresql)
    conn.execute(
        text("INSERT INTO schema_version (id, version) VALUES (1, :version) "
             "ON CONFLICT(id) DO UPDATE SET version = excluded.version"),
        {"version": migration.version},
    )


def _statements(sql: str) -> list[str]:
    """Split on ';' at line ends, keeping trigger bodies (which end in '; END;') whole."""
    out: list[str] = []
    buf: list[str] = []
    for line in sql.strip().splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and (not joined.upper().startswith("CREATE TRIGGER") or joined.upper().endswith("END;")):
            out.append(joined)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out
