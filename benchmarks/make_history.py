"""Build a realistic watch-desk history of a chosen size into a database file, for the benchmarks.

    python benchmarks/make_history.py PATH|POSTGRES_URL [--alerts 100000] [--events 1000000]
                                           [--end 2026-02-16T19:00:00+00:00] [--seed 7] [--force]

Given a postgresql:// URL of an empty database instead of a file, it builds the history in a
temporary SQLite file and moves it there with `db copy` (watchdesk.store.copy.copy_database:
the audit chain verified on both sides).

What it writes (the desk zone is Asia/Ho_Chi_Minh; times are spread evenly over a history of
about 400 alerts a day ending at --end):
* officers: 18 duty officers, 6 shift leads, 3 supervisors (Vietnamese names);
* watch periods: one per week ("history-YYYY-MM-DD", local date of its first day) and one
  over the whole history ("history");
* shifts: level 1 in 12-hour shifts 07:00–19:00 / 19:00–07:00, levels 2 and 3 in 24-hour shifts,
  each checked in a few minutes after it began;
* sources with health columns (one failing, one gone silent);
* alerts in every state: most resolved, the latest ones acknowledged or new (a few never
  acknowledged and exhausted), with first acknowledgments that sometimes breach the severity's
  ack target, snoozes before the first acknowledgment, escalations through the policy's steps,
  the outbox rows of every page and the call tasks of the contact steps;
* handover records of every past level-1 shift change (signed out and accepted; their summaries
  hold the count of alerts received, not the full lists a real draft holds);
* the audit log: exactly --events hash-chained events (alert.raised/paged/escalated/snoozed/
  acknowledged/noted/resolved, shift.checked_in, handover.signed/accepted …) in time order,
  written through watchdesk.store.audit.append_events_bulk, so `watchdesk log verify` accepts it.
If --events is below what the alerts need, the history keeps every alert's own events and says so.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import sqlite3
import sys
import tempfile
import time
from bisect import bisect_right
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watchdesk.config import Config  # noqa: E402
from watchdesk.core.enums import Severity  # noqa: E402
from watchdesk.store.audit import append_events_bulk  # noqa: E402
from watchdesk.store.db import Database  # noqa: E402
from watchdesk.store.types import micros  # noqa: E402

UTC = timezone.utc
DEFAULT_END = datetime(2026, 2, 16, 19, 0, tzinfo=UTC)  # 02:00 on the first night of Tết 2026 in Hanoi
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR, DAY = 3600.0, 86400.0

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Quốc", "Ngọc", "Hữu", "Thu"]
GIVEN = ["Lan", "Minh", "Hùng", "Hương", "Dũng", "Trang", "Tuấn", "Mai", "Sơn", "Linh", "Đức", "Thảo",
         "Nam", "Hà", "Phong", "Yến", "Khoa", "Ngân", "Quân", "Vy", "Bảo", "Châu", "Hải", "Nhung", "Tâm", "Việt", "Oanh"]
SOURCES = [
    ("khonggianmang", "Cổng cảnh báo khonggianmang.vn", "rss", "https://khonggianmang.vn/feed"),
    ("cisa-kev", "CISA Known Exploited Vulnerabilities", "json", "https://www.cisa.gov/kev.json"),
    ("cisa-advisories", "CISA advisories", "rss", "https://www.cisa.gov/advisories.xml"),
    ("nvd", "NVD CVE API 2.0", "json", "https://services.nvd.nist.gov/rest/json/cves/2.0"),
    ("irlab", "IRLab.vn", "html", "https://irlab.vn/canh-bao"),
    ("manual", "Nhập tay / công văn", "manual", ""),
]
SEVERITY_MIX = [(Severity.CRITICAL, 0.05), (Severity.HIGH, 0.20), (Severity.MEDIUM, 0.45), (Severity.LOW, 0.30)]
CATEGORIES = ["vulnerability", "apt", "phishing", "botnet", "summary", "other"]
WORDS = ["lỗ hổng", "nghiêm trọng", "thực thi mã từ xa", "Fortinet", "Ivanti", "Microsoft Exchange", "chiến dịch APT",
         "mã độc", "lừa đảo", "botnet", "Cisco", "VMware", "Apache", "chứng thư số", "ngân hàng"]


def ts(epoch: float) -> str:
    """The stored text of a UTC instant (same fixed-width format as watchdesk.store.types)."""
    return (EPOCH + timedelta(seconds=epoch)).strftime("%Y-%m-%d %H:%M:%S.%f")


def dt(epoch: float) -> datetime:
    return EPOCH + timedelta(seconds=epoch)


class Roster:
    """Who is on duty at each level: regular shifts laid down from the start of the history."""

    def __init__(self, start: float, end: float, officers: dict[int, list[int]]) -> None:
        self.officers = officers
        self.shifts: list[tuple[int, int, int, float, float]] = []  # (shift id, officer id, level, start, end)
        self.starts: dict[int, list[float]] = {}
        self.ids: dict[int, list[int]] = {}
        sid = 0
        day0 = math.floor(start / DAY) * DAY  # 00:00 UTC = 07:00 in Hanoi
        for level, length in ((1, 12 * HOUR), (2, DAY), (3, DAY)):
            t, n = day0, 0
            while t < end + DAY:
                sid += 1
                people = officers[level]
                self.shifts.append((sid, people[n % len(people)], level, t, t + length))
                self.starts.setdefault(level, []).append(t)
                self.ids.setdefault(level, []).append(len(self.shifts) - 1)
                t += length
                n += 1

    def at(self, level: int, when: float) -> tuple[int, int, int, float, float]:
        i = bisect_right(self.starts[level], when) - 1
        return self.shifts[self.ids[level][max(i, 0)]]



def _durations(recv: float, acked: float | None, resolved_at: float | None, snoozed: float) -> tuple[int | None, int | None, int]:
    """ack_us, resolve_us, snoozed_us as the lifecycle writes them, from the stored texts."""
    between = lambda a, b: micros(datetime.fromisoformat(ts(b)) - datetime.fromisoformat(ts(a)))  # noqa: E731
    snoozed_us = round(round(snoozed, 3) * 1_000_000)
    return (None if acked is None else between(recv, acked) - snoozed_us,
            None if resolved_at is None else between(recv, resolved_at), snoozed_us)


def _insert(conn: sqlite3.Connection, table: str, rows: list[tuple]) -> None:
    """Insert rows given in the table's first columns, by name: columns that later migrations
    append (each with a default) take their defaults, so the history needs no edit for them."""
    if not rows:
        return
    names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")][: len(rows[0])]
    conn.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", rows)

def build(path: Path, n_alerts: int, n_events: int, end_at: datetime, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    config = Config()
    Database(f"sqlite:///{path}").dispose()  # create and migrate the schema the normal way
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN IMMEDIATE")
    end = (end_at - EPOCH).total_seconds()
    days = max(2, math.ceil(n_alerts / 400))
    start = end - days * DAY
    counts: dict[str, int] = {}
    sys_events: list[tuple[float, int, str, str, str, str, dict]] = []  # (at, order, actor, kind, stype, sid, data)

    # -- officers ---------------------------------------------------------------------------
    roles = [("officer", 1)] * 18 + [("lead", 2)] * 6 + [("supervisor", 3)] * 3
    officers: dict[int, list[int]] = {1: [], 2: [], 3: []}
    handles: dict[int, str] = {}
    rows = []
    for i, (role, level) in enumerate(roles, 1):
        given = GIVEN[i - 1]
        handle = f"{_ascii(given)}{i:02d}"
        name = f"{FAMILY[i % len(FAMILY)]} {MIDDLE[i % len(MIDDLE)]} {given}"
        rows.append((i, handle, name, role, f"09{i:08d}", f"{handle}@unit.gov.vn", "{}", "", 1, ts(start - 30 * DAY)))
        officers[level].append(i)
        handles[i] = handle
        sys_events.append((start - 30 * DAY, i, "system", "officer.added", "officer", handle,
                           {"handle": handle, "full_name": name, "role": role}))
    _insert(conn, "officer", rows)
    counts["officers"] = len(rows)

    # -- watch periods ----------------------------------------------------------------------
    periods = [(1, "history", "5644/BTTTT-CATTT", ts(start), ts(end + DAY), "the whole generated history")]
    week_starts = []
    t = start
    while t < end + DAY:
        local_day = (dt(t) + timedelta(hours=7)).date().isoformat()
        periods.append((len(periods) + 1, f"history-{local_day}", "5644/BTTTT-CATTT", ts(t), ts(min(t + 7 * DAY, end + DAY)), "one week of the history"))
        week_starts.append(t)
        t += 7 * DAY
    _insert(conn, "watch_period", periods)
    counts["watch periods"] = len(periods)

    # -- shifts -----------------------------------------------------------------------------
    roster = Roster(start, end, officers)
    rows = []
    for sid, oid, level, s, e in roster.shifts:
        pid = 2 + max(0, bisect_right(week_starts, s) - 1)
        pid = min(pid, len(periods))
        checked = s + rng.uniform(60, 600) if s <= end else None
        rows.append((sid, pid, oid, level, ts(s), ts(e), "pattern", None, "", "", "", 0, ts(checked) if checked else None))
        if checked is not None:
            sys_events.append((checked, 0, handles[oid], "shift.checked_in", "shift", str(sid),
                               {"level": level, "starts_at": dt(s).isoformat(), "late_by_s": round(checked - s, 3)}))
    _insert(conn, "shift", rows)
    counts["shifts"] = len(rows)

    # -- sources ----------------------------------------------------------------------------
    rows = []
    for i, (key, name, kind, url) in enumerate(SOURCES, 1):
        failing = key == "irlab"
        silent = key == "cisa-advisories"
        rows.append((
            i, key, name, kind, url, "", "", "", ts(end + 900), ts(end - 300), ts(end - (3 * HOUR if failing else 300)),
            ts(end - (5 * DAY if silent else HOUR)), "HTTP 503 from irlab.vn" if failing else "",
            ts(end - 300) if failing else None, ts(end - 3 * HOUR) if failing else None, 9 if failing else 0,
            None, ts(start - DAY), "",
        ))
    _insert(conn, "source", rows)
    counts["sources"] = len(rows)

    # -- alerts: plan each one's life -------------------------------------------------------
    received = sorted(rng.uniform(start, end) for _ in range(n_alerts))
    open_from = n_alerts - max(3, n_alerts // 300)  # the latest alerts are still open
    sev_names = [s for s, _ in SEVERITY_MIX]
    sev_weights = [w for _, w in SEVERITY_MIX]
    alert_rows, cve_rows, notif_rows, call_rows = [], [], [], []
    plans: list[list[tuple[float, str, str, dict]]] = []  # per alert: its events (at, actor, kind, data)
    for idx, recv in enumerate(received):
        aid = idx + 1
        sev = rng.choices(sev_names, sev_weights)[0]
        policy = config.policies[sev]
        target = config.ack_target(sev).total_seconds()
        wait = policy.steps[1].after.total_seconds()
        source = SOURCES[rng.randrange(len(SOURCES))][0]
        title = f"Cảnh báo {rng.choice(WORDS)} {rng.choice(WORDS)} #{aid}"
        cves = [f"CVE-{rng.randint(2019, 2026)}-{rng.randint(1000, 59999)}"] if rng.random() < 0.6 else []
        is_open = idx >= open_from
        # Ack delay: log-normal around 40 % of the target, so about one in eight breaches it.
        delay = max(5.0, rng.lognormvariate(math.log(target * 0.4), 0.9))
        snoozed = rng.uniform(300, 3600) if rng.random() < 0.03 else 0.0
        state = "resolved"
        acked = recv + delay + snoozed
        if is_open:
            roll = rng.random()
            state = "new" if roll < 0.4 else "acknowledged"
            if state == "new":
                acked = None
            elif acked > end:  # acknowledged a moment ago
                acked = recv + snoozed + rng.uniform(0, max(end - recv - snoozed, 1.0))
                if acked > end:
                    state, acked = "new", None
        events: list[tuple[float, str, str, dict]] = []
        raised = {"source": source, "native_id": f"{source}-{aid}", "dedup_key": f"{source}:{aid}", "title": title,
                  "severity": sev.value, "category": "vulnerability", "cves": cves, "joined_to": None}
        events.append((recv, "system", "alert.raised", raised))
        # escalation steps fired before the acknowledgment (or up to now)
        horizon = acked if acked is not None else end
        level, step_i, rnd, fired = 1, 0, 0, 0
        t_step = recv + snoozed
        exhausted = False
        positions = [(s, r) for r in range(policy.repeat + 1) for s in range(len(policy.steps))]
        last_pos = (0, 0)
        for k, (s_i, r_i) in enumerate(positions):
            if k > 0:
                gap = policy.steps[s_i].after.total_seconds() or policy.steps[-1].after.total_seconds()
                t_step += gap
            if t_step > horizon:
                break
            step = policy.steps[s_i]
            from_level = level
            level = step.level or level
            notified = []
            if step.level is not None:
                shift = roster.at(step.level, t_step)
                notified.append(handles[shift[1]])
                for channel in step.channels:
                    notif_rows.append((
                        None, aid, level, r_i, channel, handles[shift[1]],
                        f"alert:{aid}:{level}:{r_i}:{s_i}:{channel}:{handles[shift[1]]}",
                        f"[{sev.value}] {title}", title, "sent", 1, None, None, "", ts(t_step), ts(t_step + 2),
                    ))
            calls = list(step.contacts)
            if (s_i, r_i) == positions[-1] and config.escalation.fallback_contact not in calls:
                calls.append(config.escalation.fallback_contact)
            for key in calls:
                done = acked is not None
                call_rows.append((None, aid, key, s_i, r_i, ts(t_step), "called" if done else "",
                                  f"VNCERT-{aid}" if done else "", "", None, ts(t_step + 600) if done else None))
            first_page = k == 0
            events.append((t_step, "system", "alert.paged" if first_page else "alert.escalated", {
                "from_level": from_level, "level": level, "round": r_i, "step": s_i, "label": f"step {s_i + 1}",
                "notified": notified, "channels": list(step.channels), "calls": calls, "unreachable": [],
                "manual": False, "reason": "", "due": ts(t_step), "severity": sev.value, "received_at": ts(recv),
            }))
            fired, last_pos = k + 1, (s_i, r_i)
        if fired == len(positions):
            exhausted = True
            events.append((t_step, "system", "alert.exhausted", {"round": last_pos[1], "level": level,
                                                                  "fallback_contact": config.escalation.fallback_contact}))
        step_i, rnd = last_pos
        step_i += 1
        if snoozed:
            who = handles[roster.at(1, recv + 1)[1]]
            events.append((recv + 1, who, "alert.snoozed", {"by": who, "until": ts(recv + 1 + snoozed), "seconds": snoozed,
                                                             "reason": "chờ nhà cung cấp xác nhận", "state": "new", "level": 1}))
        acker = resolver = None
        resolved_at = None
        if acked is not None:
            lvl = 2 if level >= 2 and rng.random() < 0.5 else 1
            acker = roster.at(lvl, acked)[1]
            ack_seconds = acked - recv - snoozed
            events.append((acked, handles[acker], "alert.acknowledged", {
                "by": handles[acker], "received_at": ts(recv), "severity": sev.value, "level": level, "round": rnd,
                "step": step_i, "first": True, "ack_seconds": round(ack_seconds, 3), "snoozed_seconds": round(snoozed, 3),
                "ack_target_seconds": target, "breached": ack_seconds > target,
                "ack_timeout_at": ts(acked + policy.ack_timeout.total_seconds()),
            }))
            if state == "resolved":
                resolved_at = min(acked + max(60.0, rng.lognormvariate(math.log(HOUR), 1.0)), end - 1)
                resolved_at = max(resolved_at, acked + 1)
                resolver = acker
                note = "Đã rà soát, không ảnh hưởng hệ thống của đơn vị."
                events.append((resolved_at, handles[resolver], "alert.resolved", {
                    "by": handles[resolver], "note": note, "from_state": "acknowledged", "received_at": ts(recv),
                    "severity": sev.value, "level": level, "implicit_ack": False,
                    "resolve_seconds": round(resolved_at - recv, 3),
                }))
        plans.append(events)
        nxt = None
        if state == "new" and not exhausted:
            nxt = t_step + (policy.steps[min(step_i, len(policy.steps) - 1)].after.total_seconds() or 60)
        elif state == "acknowledged":
            nxt = acked + policy.ack_timeout.total_seconds()
        alert_rows.append((
            aid, source, f"{source}-{aid}", f"{source}:{aid}", title, f"Tóm tắt cảnh báo {aid}: {rng.choice(WORDS)}.",
            f"https://example.vn/{source}/{aid}", "[]", sev.value, sev.value, "vulnerability", json.dumps(cves),
            f"{rng.randint(100, 9999)}/CATTT-NCSC" if source == "khonggianmang" else "", 0, f"h{aid}",
            ts(recv - 600), ts(recv), ts(recv), state, level, step_i, rnd,
            ts(nxt) if nxt else None, 1 if exhausted else 0, None,
            acker, ts(acked) if acked is not None else None, ts(acked) if acked is not None else None,
            resolver, ts(resolved_at) if resolved_at else None,
            "Đã rà soát, không ảnh hưởng hệ thống của đơn vị." if resolved_at else "",
            None, None, "[]", *_durations(recv, acked, resolved_at, snoozed),
        ))
        for cve in cves:
            cve_rows.append((aid, cve))

    # -- handovers at each level-1 shift change ----------------------------------------------
    handover_rows = []
    level1 = [s for s in roster.shifts if s[2] == 1 and s[4] <= end]
    for hid, (sid, oid, _level, s, e) in enumerate(level1, 1):
        incoming = roster.at(1, e)[1]
        lo, hi = bisect_right(received, s), bisect_right(received, e)
        signed = e - rng.uniform(60, 900)
        accepted = e + rng.uniform(60, 600)
        # Benchmark records carry the counts only (the real draft lists every alert; see services/handover.py).
        summary = {"from": ts(s), "to": ts(e), "drafted_at": ts(signed), "counts": {"received": hi - lo}}
        handover_rows.append((hid, sid, oid, incoming, ts(s), ts(e), json.dumps(summary), "Ca trực ổn định.", "",
                              ts(signed), ts(accepted), ts(e + config.handover.accept_within.total_seconds()), None,
                              incoming, 0, 0))  # accepted by the incoming officer, neither early
        sys_events.append((signed, 1, handles[oid], "handover.signed", "handover", str(hid),
                           {"by": handles[oid], "shift_id": sid, "notes": "Ca trực ổn định.", "received": hi - lo}))
        sys_events.append((accepted, 2, handles[incoming], "handover.accepted", "handover", str(hid),
                           {"by": handles[incoming], "shift_id": sid, "remarks": ""}))

    # -- fill the event budget with notes on alerts ------------------------------------------
    own = sum(len(p) for p in plans) + len(sys_events)
    spare = n_events - own
    if spare < 0:
        print(f"note: {n_alerts:,} alerts need {own:,} events; --events {n_events:,} is too few, writing {own:,}.")
        spare = 0
    if n_alerts:
        each, extra = divmod(spare, n_alerts)
        lucky = set(rng.sample(range(n_alerts), extra))
        for idx, events in enumerate(plans):
            k = each + (idx in lucky)
            if not k:
                continue
            recv = received[idx]
            last = max(e[0] for e in events)
            span = max(last - recv, 60.0)
            for _ in range(k):
                at = min(recv + rng.uniform(1, span), end)
                who = handles[roster.at(1, at)[1]]
                events.append((at, who, "alert.noted", {"by": who, "text": f"Đã kiểm tra {rng.choice(WORDS)}.", "state": "new", "level": 1}))
    elif spare:
        for k in range(spare):
            at = start + (end - start) * k / spare
            sys_events.append((at, 3, "system", "source.ok", "source", "khonggianmang", {"after_failures": 1, "items": 0}))

    # -- write the rows ---------------------------------------------------------------------
    _insert(conn, "alert", alert_rows)
    _insert(conn, "alert_cve", cve_rows)
    _insert(conn, "notification", notif_rows)
    _insert(conn, "call_task", call_rows)
    _insert(conn, "handover", handover_rows)
    counts.update(alerts=len(alert_rows), cves=len(cve_rows), notifications=len(notif_rows), calls=len(call_rows),
                  handovers=len(handover_rows))

    # -- the audit chain, in time order (a heap merges the alerts' overlapping lives) ---------
    def stream():
        heap: list[tuple[float, int, int, str, str, str, str, dict]] = []
        order = 0
        for at, o, actor, kind, stype, sid, data in sorted(sys_events, key=lambda x: (x[0], x[1])):
            order += 1
            heapq.heappush(heap, (at, order, 0, actor, kind, stype, sid, data))
        for idx, events in enumerate(plans):
            recv = received[idx]
            while heap and heap[0][0] <= recv:
                at, _o, _z, actor, kind, stype, sid, data = heapq.heappop(heap)
                yield dt(at), actor, kind, stype, sid, data
            for at, actor, kind, data in sorted(events, key=lambda x: x[0]):
                order += 1
                heapq.heappush(heap, (at, order, 0, actor, kind, "alert", str(idx + 1), data))
            plans[idx] = []  # free memory as we go
        while heap:
            at, _o, _z, actor, kind, stype, sid, data = heapq.heappop(heap)
            yield dt(at), actor, kind, stype, sid, data

    counts["events"] = append_events_bulk(conn, stream())
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    states = dict(conn.execute("SELECT state, COUNT(*) FROM alert GROUP BY state").fetchall())
    never = conn.execute("SELECT COUNT(*) FROM alert WHERE first_acked_at IS NULL").fetchone()[0]
    conn.close()
    counts.update({f"alerts {k}": v for k, v in sorted(states.items())})
    counts["alerts never acknowledged"] = never
    counts["days"] = days
    return counts


def _ascii(name: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in folded if not unicodedata.combining(c)).lower()


def _into_postgres(url: str, alerts: int, events: int, end: datetime, seed: int) -> None:
    """Build in a temporary SQLite file, then `db copy` it into the empty database at `url`."""
    from watchdesk.store.copy import copy_database

    with tempfile.TemporaryDirectory(prefix="watchdesk-history-") as folder:
        path = Path(folder) / "history.db"
        started = time.perf_counter()
        counts = build(path, alerts, events, end, seed)
        print(f"built {path} in {time.perf_counter() - started:.1f} s, history of {counts.pop('days')} days ending {end.isoformat()}")
        source, target = Database(f"sqlite:///{path}", upgrade=False), Database(url)
        try:
            done = copy_database(source, target, end + timedelta(days=1))  # past every heartbeat the history holds
        finally:
            source.dispose()
            target.dispose()
    print(f"db copy into {target.where}: {sum(done.rows.values()):,} rows ({done.events:,} events) in {done.seconds:.1f} s, "
          "chain verified on both sides")
    for key, value in counts.items():
        print(f"  {key:<26} {value:>10,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the database file to write, or an empty PostgreSQL database's postgresql:// URL")
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--end", default=DEFAULT_END.isoformat(), help="aware ISO time the history ends at")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--force", action="store_true", help="replace the file if it exists")
    args = parser.parse_args()
    end = datetime.fromisoformat(args.end)
    if end.tzinfo is None:
        parser.error("--end needs a UTC offset, e.g. 2026-02-16T19:00:00+00:00")
    if args.path.startswith(("postgresql:", "postgresql+")):
        _into_postgres(args.path, args.alerts, args.events, end.astimezone(UTC), args.seed)
        return
    args.path = Path(args.path)
    if args.path.exists():
        if not args.force:
            parser.error(f"{args.path} exists; give --force to replace it")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    counts = build(args.path, args.alerts, args.events, end.astimezone(UTC), args.seed)
    elapsed = time.perf_counter() - started
    size = args.path.stat().st_size / 1e6
    print(f"built {args.path} in {elapsed:.1f} s ({size:.0f} MB), history of {counts.pop('days')} days ending {end.isoformat()}:")
    for key, value in counts.items():
        print(f"  {key:<26} {value:>10,}")


if __name__ == "__main__":
    main()
