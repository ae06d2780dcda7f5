"""What `serve` and the desk do about a damaged database: check it, stop writing, raise the alarm.

When an engine starts, and after any error that smells of damage (a malformed page, an I/O
error, the audit log no longer reaching its checkpoint), it runs SQLite's quick check within
a time budget and checks the log against its latest checkpoint. On damage it leaves the
damage mark (every process then refuses to write), sends one message on every configured
channel directly — not through the outbox, which lives in the damaged file — and stops.
A full disk stops nothing (the next cycle may find space) but is raised the same way, at most
once an hour, since no page can be queued meanwhile.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from hashlib import sha256

from watchdesk.i18n import N_, _
from watchdesk.config import Config
from watchdesk.core.enums import Role
from watchdesk.core.permissions import PermissionDenied
from watchdesk.core.records import Actor
from watchdesk.notify.channels import Channels, DeliveryError, Message
from watchdesk.services.runtime import Runtime
from watchdesk.store import audit, checkpoint
from watchdesk.store.db import DatabaseDamaged, DatabaseError, DiskFull, damage_error
from watchdesk.store.types import to_db_text

log = logging.getLogger("watchdesk.damage")

START_BUDGET = 10.0  # seconds the quick check may take before it is cut short (measured: README)
ALARM_WAIT = 30.0  # seconds the alarm waits for its sends; a hanging channel does not hold the stop
FULL_AGAIN = timedelta(hours=1)
DAMAGED_SUBJECT = N_("watchdesk: DATABASE DAMAGED — escalation stopped")


class DamageWatch:
    """One engine's watch over its database; `found` holds the damage sentence once there is one."""

    def __init__(self, rt: Runtime, who: str) -> None:
        self.rt = rt
        self.who = who
        self.found: str | None = None
        self.started = False
        self._full_alarm_at: datetime | None = None

    def start(self) -> str | None:
        """The check an engine runs once when it starts (bounded by START_BUDGET)."""
        if not self.started:
            self.started = True
            self.check()
        return self.found

    def check(self, cause: BaseException | None = None) -> str | None:
        """Check the file and the chain's anchor; on damage mark it, raise the alarm, remember it."""
        if self.found:
            return self.found
        db, anchors = self.rt.db, self.rt.db.anchors
        if anchors is not None and anchors.mark.exists():
            # Another process found it and raised the alarm already: only stop.
            self.found = f"{db.where}: writes are stopped because the database was found damaged ({checkpoint.read_mark(anchors.mark)})"
            log.critical("%s", self.found)
            return self.found
        problem = ""
        if db.is_sqlite:
            integrity = db.integrity(budget=START_BUDGET)
            if not integrity.ok:
                problem = integrity.sentence(db.path)
            elif not integrity.finished:
                log.warning("%s", integrity.sentence(db.path))
        else:
            log.info("%s: pages are the server's to check on PostgreSQL (data checksums, pg_amcheck)", db.where)
        if not problem and anchors is not None:
            try:
                last = checkpoint.latest(anchors)
                why = audit.reaches(db, last) if last is not None else ""
                if why:
                    problem = f"{db.where}: the audit log no longer holds its checkpoint: {why}"
            except DatabaseError as exc:
                problem = str(exc)
        if not problem and isinstance(cause, DatabaseDamaged) and "malformed" in str(cause):
            problem = str(cause)  # SQLite met a bad page the bounded check did not reach
        if problem:
            self._damaged(problem)
        return self.found

    def seen(self, exc: BaseException) -> None:
        """Called with any error an engine phase raised: damage is checked, a full disk raised."""
        if self.found:
            return
        error = exc if isinstance(exc, (DatabaseDamaged, DiskFull)) else damage_error(exc, self.rt.db.where)
        if isinstance(error, DiskFull):
            now = self.rt.now()
            if self._full_alarm_at is None or now - self._full_alarm_at >= FULL_AGAIN:
                self._full_alarm_at = now
                alarm(self.rt, _("watchdesk: the disk is full — no page can be queued"), f"{error} ({self.who})")
        elif isinstance(error, DatabaseDamaged):
            self.check(error)

    def anchor(self, why: str = "") -> object:
        """Append a checkpoint when the log moved CHECKPOINT_EVERY events past the last one (or,
        with `why`, an engine stopping, whenever it moved at all)."""
        anchors = self.rt.db.anchors
        if anchors is None or self.found:
            return None
        every = 1 if why else checkpoint.CHECKPOINT_EVERY
        return checkpoint.anchor(self.rt.db, anchors, why or f"{self.who} cycle", every)

    def _damaged(self, problem: str) -> None:
        self.found = f"{problem}; watchdesk stopped writing to it"
        log.critical("%s", self.found)
        anchors = self.rt.db.anchors
        if anchors is not None:
            checkpoint.mark_damaged(anchors, problem, self.who, to_db_text(self.rt.now()))
        body = _("{problem}; watchdesk stopped writing to it ({who}). Escalation has stopped: watch the feeds by hand, "
                 "keep a copy of the file, run 'watchdesk db check' and restore the latest backup.").format(
            problem=problem, who=self.who)
        alarm(self.rt, _(DAMAGED_SUBJECT), body)


def _people(rt: Runtime) -> list:
    """Leads and supervisors, read if the damaged file still allows it (else nobody by name)."""
    from watchdesk.services.officers import list_officers

    try:
        return [o for o in list_officers(rt, include_inactive=False) if o.role in (Role.LEAD, Role.SUPERVISOR)]
    except Exception as exc:  # noqa: BLE001 - the file is damaged: reach the channels that need no name
        log.warning("damage alarm: cannot read the officers (%s); sending only where no address is needed", exc)
        return []


def alarm(rt: Runtime, subject: str, body: str) -> list[str]:
    """Send one message on every enabled channel now, directly; returns where it went.

    Generic webhooks and desktops get one message each; e-mail and Telegram one per lead and
    supervisor with an address there. Terminal rows need the outbox: desks show the engine's note."""
    return _send(rt.config, _people(rt), rt.now(), subject, body)


def alarm_unopened(config: Config, sentence: str, who: str) -> list[str]:
    """The alarm of an engine that could not even open its database: nobody's address can be
    read, so it reaches the channels that need none (generic webhooks, Slack, the desktop)."""
    from watchdesk.clock import SystemClock

    log.critical("%s", sentence)
    body = _("{problem} ({who}). watchdesk cannot open its database, so nothing escalates: watch the feeds by hand "
             "and restore the latest backup.").format(problem=sentence, who=who)
    return _send(config, [], SystemClock().now(), _(DAMAGED_SUBJECT), body)


def _send(config: Config, people: list, now: datetime, subject: str, body: str) -> list[str]:
    from watchdesk.services.escalation import target_for

    key = "damage:" + sha256(body.encode()).hexdigest()[:16]
    messages: list[Message] = []
    for name, conf in config.channels.items():
        if not conf.enabled or conf.type == "terminal":
            continue
        personal = conf.type == "email" or (conf.type == "webhook" and conf.format == "telegram")
        targets = sorted({target_for(conf.type, conf.format, o) for o in people} - {""}) if personal else [""]
        messages += [Message(0, None, 0, 0, name, t, f"{key}:{name}:{t}", subject, body) for t in targets]
    channels = Channels(config.channels)
    reached: list[str] = []

    def send(msg: Message) -> None:
        try:
            channels.send(msg, now)
            reached.append(f"{msg.channel}:{msg.target}" if msg.target else msg.channel)
        except DeliveryError as exc:
            log.error("damage alarm not sent on %s %s: %s", msg.channel, msg.target, exc)
        except Exception as exc:  # noqa: BLE001 - one broken channel must not stop the others
            log.error("damage alarm not sent on %s %s: %s: %s", msg.channel, msg.target, type(exc).__name__, exc)

    if messages:
        pool = ThreadPoolExecutor(max_workers=min(8, len(messages)), thread_name_prefix="watchdesk-alarm")
        wait([pool.submit(send, m) for m in messages], timeout=ALARM_WAIT)
        pool.shutdown(wait=False, cancel_futures=True)
    channels.close()
    log.critical("damage alarm sent on: %s", ", ".join(reached) or "no channel")
    return reached


def resume(rt: Runtime, actor: Actor) -> str:
    """A supervisor accepts a loss and lets the desk write again; returns what was done.

    Only over a file SQLite checks clean and a chain that holds in itself: what it no longer
    reaches (a lost tail) is written into the log as a `db.resumed` event and a new anchor is
    appended; the old anchor stays in the file as the record of what was lost."""
    from watchdesk.services.errors import Refused

    if Role(actor.role) != Role.SUPERVISOR:
        raise PermissionDenied(_("'{handle}' is not a supervisor; only a supervisor may accept a loss and resume writing.").format(handle=actor.handle))
    db, anchors = rt.db, rt.db.anchors
    if anchors is None:
        raise Refused(_("{path}: no checkpoint file is kept for this database; there is nothing to resume.").format(path=db.where))
    if db.is_sqlite:  # PostgreSQL checks its own pages
        integrity = db.integrity(quick=False, limit=5)
        if not integrity.ok:
            raise Refused(_("{sentence}; restore the latest backup instead of resuming on this file.").format(sentence=integrity.sentence(db.path)))
    chain = audit.verify(db, None)
    if not chain.ok:
        raise Refused(_("{path}: {sentence}; restore the latest backup instead of resuming on this file.").format(path=db.where, sentence=chain.sentence()))
    last = checkpoint.latest(anchors)
    lost = audit.reaches(db, last) if last is not None else ""
    if not lost and not anchors.mark.exists():
        raise Refused(_("{path} checks clean and reaches its checkpoint; there is nothing to resume.").format(path=db.where))
    checkpoint.clear_mark(anchors)
    with db.write() as session:
        audit.append_event(session, rt.now(), actor.handle, "db.resumed", "database", "", {
            "by": actor.handle, "lost": lost, "checkpoint_seq": last.seq if last else None,
            "checkpoint_hash": last.hash if last else "", "head_seq_before": chain.head.seq if chain.head else 0,
        })
    head = audit.head(db)
    assert head is not None  # the event just written
    checkpoint.append(anchors, head.seq, head.hash, head.at, f"resumed by {actor.handle}")
    what = f"accepted the loss ({lost}) and " if lost else ""
    return f"{actor.handle} {what}lifted the damage stop on {db.where}; the log is anchored again at seq {head.seq}."
