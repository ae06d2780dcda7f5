"""The courier: sends the outbox beside the engine's tick, so no channel ever holds back escalation.

One courier per engine. `dispatch` claims the due rows that have room on their channel (at most
`CHANNEL_SENDS` sends at once per channel) and starts one daemon thread per send; each send ends
by its channel's overall deadline (notify/channels.py) and records its own outcome. A running
engine calls `start` once and `wake` whenever it queued pages; the courier also looks by itself
every `IDLE_WAIT` seconds (retries coming due, rows another process queued). A one-shot tick
calls `deliver_now`, which returns when what was due has been tried once. A courier whose
engine does not hold the `deliver` job (`may_claim` false: another engine delivers) claims
nothing; the outbox checks the lease again in the claim's own transaction.

`stop` gives the sends still out a moment, then cuts them and leaves their claims to the next
engine: a closing engine forgets its runner row, so those claims are free at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from watchdesk.notify.channels import DeliveryError, Message
from watchdesk.notify.outbox import DeliveryReport, Outbox

log = logging.getLogger("watchdesk.notify")

CHANNEL_SENDS = 4
"""Sends at once per channel: a hanging receiver holds at most this many threads, the others none."""
IDLE_WAIT = 1.0  # seconds between looks when nobody wakes the courier
DRAIN_LIMIT = 30.0  # seconds a one-shot tick keeps starting sends


class Courier:
    def __init__(self, outbox: Outbox, per_channel: int = CHANNEL_SENDS, may_claim: Callable[[], bool] | None = None) -> None:
        self.outbox = outbox
        self.per_channel = per_channel
        # False while another engine does the delivery (its engine does not hold `deliver`): claim nothing.
        self.may_claim = may_claim or (lambda: True)
        self._cond = threading.Condition()
        self._busy: Counter[str] = Counter()
        self._out: dict[int, Message] = {}  # claimed and being sent
        self._unrecorded: list[tuple[Message, DeliveryError | None]] = []  # outcomes the database refused so far
        self._counts = [0, 0, 0]  # delivered, retried, failed since the last report
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- the running engine's side ------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="watchdesk-courier", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping:
            self._wake.wait(IDLE_WAIT)
            self._wake.clear()
            if self._stopping:
                break
            try:
                self.dispatch()
            except Exception:  # noqa: BLE001 - a locked or failing database: the next look tries again
                log.exception("delivery: could not claim due messages")

    def report(self) -> DeliveryReport:
        """What finished since the last call."""
        with self._cond:
            counts, self._counts = self._counts, [0, 0, 0]
        return DeliveryReport(*counts)

    @property
    def sending(self) -> int:
        with self._cond:
            return len(self._out)

    # -- a one-shot tick's side ---------------------------------------------------------------
    def deliver_now(self, limit: float = DRAIN_LIMIT) -> DeliveryReport:
        """Try every row due now once (channel caps still apply) and wait for those sends.

        After `limit` seconds no new send starts (a hanging channel with a long queue would
        otherwise hold a cron tick for minutes); what is left waits for the next tick."""
        tried: set[int] = set()
        until = time.monotonic() + limit  # scheduling only
        while True:
            started = self.dispatch(skip=tried) if time.monotonic() < until else []
            tried.update(started)
            with self._cond:
                if not started and not self._out:
                    break
                if not started:
                    self._cond.wait(IDLE_WAIT)
        return self.report()

    # -- both -----------------------------------------------------------------------------------
    def dispatch(self, skip: set[int] | frozenset[int] = frozenset()) -> list[int]:
        """Claim what is due and has room on its channel; start one thread per send. Returns their ids."""
        self._record_leftovers()  # outcomes of sends already made are stored whoever delivers now
        if not self.may_claim():
            return []
        with self._cond:
            if self._stopping:
                return []
            busy = dict(self._busy)
            # Never our own sends still out, even if our heartbeat looks stale (a fake clock jumped).
            skip = set(skip) | set(self._out)
        messages = self.outbox.claim(self.outbox.now(), room=lambda channel: self.per_channel - busy.get(channel, 0), skip=skip)
        for msg in messages:
            with self._cond:
                self._busy[msg.channel] += 1
                self._out[msg.id] = msg
            threading.Thread(target=self._send, args=(msg,), name=f"watchdesk-send-{msg.channel}", daemon=True).start()
        return [m.id for m in messages]

    def _send(self, msg: Message) -> None:
        outcome = self.outbox.send(msg)
        try:
            if outcome is not None and self._stopping:
                return  # cut by stop(): not the channel's failure; the claim passes to the next engine as it is
            self._add(self.outbox.record([msg], [outcome]))
        except Exception:  # noqa: BLE001 - kept and recorded at the next dispatch; the claim stays ours meanwhile
            log.exception("delivery: could not record the outcome of notification %s; trying again", msg.id)
            with self._cond:
                self._unrecorded.append((msg, outcome))
        finally:
            with self._cond:
                self._busy[msg.channel] -= 1
                self._out.pop(msg.id, None)
                self._cond.notify_all()
            self._wake.set()  # room on this channel again: rows waiting for it go now

    def _record_leftovers(self) -> None:
        with self._cond:
            pending, self._unrecorded = self._unrecorded, []
        if not pending:
            return
        try:
            self._add(self.outbox.record([m for m, _ in pending], [o for _, o in pending]))
        except Exception:  # noqa: BLE001
            with self._cond:
                self._unrecorded[:0] = pending
            raise

    def _add(self, report: DeliveryReport) -> None:
        with self._cond:
            self._counts[0] += report.delivered
            self._counts[1] += report.retried
            self._counts[2] += report.failed

    def stop(self, wait: float) -> list[Message]:
        """Stop claiming; wait up to `wait` seconds for the sends still out; return those abandoned."""
        with self._cond:
            self._stopping = True
            self._wake.set()
            self._cond.wait_for(lambda: not self._out, timeout=wait)
            abandoned = list(self._out.values())
        for msg in abandoned:
            log.warning("stopping with notification %s (%s → %s) still being sent; the next engine sends it again",
                        msg.id, msg.channel, msg.target)
        return abandoned
