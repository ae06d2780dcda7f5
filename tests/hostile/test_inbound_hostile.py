"""Hostile posts to the inbound listener (a real server on 127.0.0.1).

What the officer would see: titles and summaries as plain text, without terminal escapes, bidi
overrides or control characters, markup shown as the literal brackets it is; a summary never
longer than the cap however many labels or fields were posted. What the sender sees: one
sentence and 400 / 413 for what cannot be read, and the listener keeps answering.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from watchdesk.config import Config
from watchdesk.services.inbound import MAX_ALERTS, SUMMARY_MAX
from watchdesk.services.runtime import Runtime
from watchdesk.store.models import Alert, Event
from tests.support.inbound import am_alert, am_post, inbound_config, listening

EVIL = "\x1b]0;owned\x07\x1b[31m[bold red]RED[/bold red]\u202e\u2066gnp.exe\x9b2J\x00\u200b[link=file:///etc/passwd]x[/link]"
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def config() -> Config:
    return inbound_config(max_body=512 * 1024)


def stored(rt: Runtime) -> list[Alert]:
    with rt.db.read() as session:
        return list(session.exec(select(Alert).order_by(Alert.id)).all())


def events(rt: Runtime) -> int:
    with rt.db.read() as session:
        return session.exec(select(func.count()).select_from(Event)).one()


def test_escapes_bidi_and_markup_in_every_alertmanager_field(rt: Runtime) -> None:
    alert = am_alert(EVIL, severity=EVIL, alertname=EVIL, instance=EVIL)
    alert["annotations"] = {"summary": EVIL, "description": EVIL, EVIL: EVIL}
    alert["startsAt"] = alert["endsAt"] = alert["generatorURL"] = EVIL
    body = am_post(alert)
    for key in ("groupKey", "receiver", "externalURL"):
        body[key] = EVIL
    body["commonLabels"] = {EVIL: EVIL}
    body[EVIL] = EVIL  # a field Alertmanager never sends: kept as a detail, cleaned
    with listening(rt) as desk:
        assert desk.alertmanager(body).status_code == 200
    (row,) = stored(rt)
    for text in (row.title, row.summary, row.link, row.severity):
        assert not UNSAFE.search(text) and "\x1b" not in text
    # The officer reads the brackets as text; nothing became a link or a style.
    assert "[bold red]RED[/bold red]" in row.title and "[link=file:///etc/passwd]" in row.summary
    assert row.link == "" and row.severity == "high"  # not a web address; not a known severity word


def test_escapes_bidi_and_markup_in_every_generic_field(rt: Runtime) -> None:
    body = {k: EVIL for k in ("title", "severity", "summary", "link", "dedup_key", "category", EVIL)}
    with listening(rt) as desk:
        assert desk.generic(body).status_code == 200
    (row,) = stored(rt)
    assert not any(UNSAFE.search(t) for t in (row.title, row.summary, row.link, row.category))
    assert (row.link, row.category, row.severity) == ("", "other", "high")
    assert "not a known word" in row.summary and "[bold red]RED[/bold red]" in row.title


def test_deep_json_is_refused_and_the_listener_goes_on(rt: Runtime) -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    before = events(rt)
    with listening(rt) as desk:
        answer = desk.post("/api/v1/alertmanager", content=deep, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and "not JSON" in answer.json()["error"]
        # Nesting the parser takes, deep inside an unknown field: kept, elided past three levels.
        nested: object = "bottom"
        for _ in range(400):
            nested = {"n": nested}
        body = am_post(am_alert("nested"))
        body["alerts"][0]["extra"] = nested
        assert desk.alertmanager(body).status_code == 200
    (row,) = stored(rt)
    assert "extra: {n: {n: {n: {…}}}}" in row.summary and "bottom" not in row.summary
    assert events(rt) == before + 1


def test_huge_arrays_are_refused_or_bounded(rt: Runtime) -> None:
    with listening(rt) as desk:
        many = am_post(*[{"status": "firing", "fingerprint": str(n)} for n in range(MAX_ALERTS + 1)])
        answer = desk.alertmanager(many)
        assert answer.status_code == 413 and "max_alerts" in answer.json()["error"]
        assert stored(rt) == []
        alert = am_alert("wide")
        alert["labels"].update({f"l{n}": "v" * 20 for n in range(5000)})
        alert["annotations"]["runbook"] = ["step"] * 50_000
        assert desk.alertmanager(am_post(alert)).status_code == 200
    (row,) = stored(rt)
    assert len(row.summary) <= SUMMARY_MAX and "more" in row.summary


@pytest.mark.parametrize("raw, status, words", [
    (b"\xff\xfe{not utf-8", 400, "not JSON"),
    (b'{"version": "3", "alerts": []}', 400, "version"),
    (b'{"version": "4", "alerts": {"a": 1}}', 400, "'alerts' must be a list"),
    (b'{"version": "4", "alerts": [{"status": "exploded", "fingerprint": "x"}]}', 400, "alerts[1].status"),
    (b'{"version": "4", "alerts": [{"status": "firing", "fingerprint": "' + b"f" * 10_000 + b'"}]}', 400, "characters long"),
    (b'[1, 2, 3]', 400, "JSON object"),
    # One bad alert after a good one: the whole post is refused, the good one is not half-stored.
    (b'{"version": "4", "alerts": [{"status": "firing", "fingerprint": "good"}, "bad"]}', 400, "alerts[2] must be an object"),
])
def test_malformed_posts_get_one_sentence_and_store_nothing(rt: Runtime, raw: bytes, status: int, words: str) -> None:
    before = events(rt)
    with listening(rt) as desk:
        answer = desk.post("/api/v1/alertmanager", content=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == status and words in answer.json()["error"]
    assert stored(rt) == [] and events(rt) == before
