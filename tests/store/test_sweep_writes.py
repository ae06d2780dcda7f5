"""The escalation sweep's batched writes, on both backends: compare-and-sets sent together still
decide each alert apart, pages and call tasks inserted together say which were new and keep their order."""

from __future__ import annotations

from watchdesk.core.enums import Severity
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.runtime import Runtime
from watchdesk.store.queries import escalation as q
from watchdesk.store.queries.outbox import delivery_rows, insert_notifications
from watchdesk.store.queries.rows import insert_rows


def _alerts(rt: Runtime, n: int) -> list[int]:
    with rt.db.write() as session:
        return [raise_alert(session, rt.now(), source_key="t", dedup_key=f"t:{i}", title=f"alert {i}", severity=Severity.HIGH)[0].id
                for i in range(n)]


def test_compare_and_sets_sent_together_decide_each_alert_apart(rt: Runtime) -> None:
    ids = _alerts(rt, 3)
    with rt.db.write() as session:
        rows = q.alerts_in_due_order(session, ids)
        assert [r.id for r in rows] == ids and all(r.next_escalation_at is not None for r in rows)
        # Another writer moves the middle one first: its compare-and-set must lose, the others win.
        other = rows[1]
        assert q.move_alert(session, {"level": 2}, alert_id=other.id, state=other.state, level=other.level, step=other.step,
                            round=other.round, next_escalation_at=other.next_escalation_at)
        moves = [q.Move({"level": 3, "step": 1}, r.id, r.state, r.level, r.step, r.round, r.next_escalation_at) for r in rows]
        assert q.move_alerts(session, moves) == [True, False, True]
        after = {r.id: (r.level, r.step) for r in q.alerts_in_due_order(session, ids)}
    assert after == {ids[0]: (3, 1), ids[1]: (2, 0), ids[2]: (3, 1)}


def test_pages_queued_together_say_which_were_new_and_keep_their_order(rt: Runtime) -> None:
    [alert] = _alerts(rt, 1)

    def page(key: str) -> dict:
        return {"alert_id": alert, "level": 1, "round": 0, "channel": "terminal", "target": key, "dedup_key": key,
                "subject": "s", "body": "Cảnh báo \"quoted\" \\ text", "sent": key.startswith("t")}

    with rt.db.write() as session:
        assert insert_notifications(session, [page("t-old")], rt.now()) == [True]
    keys = ["t-old", "p-new1", "t-new2", "p-new1", "p-new3", "t-new4", "p-new5"]
    with rt.db.write() as session:
        assert insert_notifications(session, [page(k) for k in keys], rt.now()) == [False, True, True, False, True, True, True]
        rows = delivery_rows(session, alert)  # oldest (lowest id) first
    assert [r[5] for r in rows] == ["t-old", "p-new1", "t-new2", "p-new3", "t-new4", "p-new5"]
    assert [r[6] for r in rows] == ["sent", "pending", "sent", "pending", "sent", "pending"]


def test_rows_inserted_together_skip_the_ones_that_exist(rt: Runtime) -> None:
    [alert] = _alerts(rt, 1)
    columns = ("alert_id", "contact_key", "step", "round", "created_at", "outcome", "reference", "note")
    stamp = "2026-02-17 02:00:00.000000"

    def task(key: str) -> dict:
        return {"alert_id": alert, "contact_key": key, "step": 0, "round": 0, "created_at": stamp, "outcome": "", "reference": "", "note": ""}

    tail = " ON CONFLICT(alert_id, contact_key, round, step) DO NOTHING"
    with rt.db.write() as session:
        insert_rows(session, "call_task", columns, [task("vncert")], tail)
        insert_rows(session, "call_task", columns, [task("ncsc"), task("vncert"), task("a05")], tail)
        insert_rows(session, "call_task", columns, [], tail)
    from watchdesk.services.calls import list_calls

    assert [c.contact_key for c in list_calls(rt, alert)] == ["vncert", "ncsc", "a05"]
