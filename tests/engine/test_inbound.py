"""Alerts posted in by local monitoring, through a real listener on 127.0.0.1: Alertmanager's
webhook v4 (firing, repeat, resolved, firing again), the generic endpoint, tokens, size caps,
concurrent posts, and `watchdesk serve --listen` as a real process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from watchdesk.cli import cli
from watchdesk.clock import FakeClock
from watchdesk.config import Config, parse_config
from watchdesk.config_file import ConfigError
from watchdesk.core.records import Actor
from watchdesk.inbound.access import inbound_plan
from watchdesk.services.alerts import get_alert
from watchdesk.services.clearing import RESOLUTION_PREFIX
from watchdesk.core.enums import Severity
from watchdesk.services.escalation import escalate_due
from watchdesk.services.lifecycle import acknowledge
from watchdesk.services.runtime import Runtime, open_runtime
from watchdesk.store.audit import events_for
from watchdesk.store.models import Alert, Event, InboundKey
from tests.support.inbound import AM_TOKEN, ENV, GENERIC_TOKEN, INBOUND, am_alert, am_post, inbound_config, listening


@pytest.fixture
def config() -> Config:
    return inbound_config(max_body=64 * 1024)


def alerts(rt: Runtime) -> list[Alert]:
    with rt.db.read() as session:
        return list(session.exec(select(Alert).order_by(Alert.id)).all())


def event_count(rt: Runtime) -> int:
    with rt.db.read() as session:
        return session.exec(select(func.count()).select_from(Event)).one()


def test_alertmanager_firing_repeat_resolved_and_firing_again(rt: Runtime, clock: FakeClock) -> None:
    with listening(rt) as desk:
        first = desk.alertmanager(am_post(am_alert("5f1c0a0e9b1d7a21", severity="critical"),
                                          am_alert("0b2e77c4d1a9f310", severity="warning", instance="mail.example.vn:25")))
        assert first.status_code == 200, first.text
        down, mail = first.json()["created"]
        rows = {a.id: a for a in alerts(rt)}
        assert rows[down].severity == "critical" and rows[mail].severity == "medium"
        assert rows[down].title == "InstanceDown: Cổng thông tin không phản hồi"
        assert rows[down].link.startswith("http://prometheus.example.vn:9090/graph")
        assert "instance = portal.example.vn:443" in rows[down].summary and "No answer for 5 minutes." in rows[down].summary
        assert rows[down].state == "new" and rows[down].source_key == "inbound:prom"

        # Alertmanager repeats a group while it fires: the open alert stays the one alert.
        clock.fast_forward(timedelta(minutes=5))
        again = desk.alertmanager(am_post(am_alert("5f1c0a0e9b1d7a21", severity="critical")))
        assert again.json()["created"] == [] and again.json()["repeated"] == [down]
        assert len(alerts(rt)) == 2

        clock.fast_forward(timedelta(minutes=10))
        resolved = desk.alertmanager(am_post(am_alert("5f1c0a0e9b1d7a21", "resolved", severity="critical")))
        assert resolved.json()["cleared"] == [down]
        row = {a.id: a for a in alerts(rt)}[down]
        assert row.state == "resolved" and row.resolved_by_id is None and row.first_acked_at is None
        assert row.resolution.startswith(RESOLUTION_PREFIX) and "prom" in row.resolution
        assert [e.kind for e in events_for(rt.db, "alert", down)][-1] == "alert.cleared"

        clock.fast_forward(timedelta(hours=1))
        back = desk.alertmanager(am_post(am_alert("5f1c0a0e9b1d7a21", severity="critical")))
        (recurred,) = back.json()["created"]
        assert recurred not in (down, mail)
        new = {a.id: a for a in alerts(rt)}[recurred]
        assert new.state == "new" and f"alert #{down}" in new.summary
        with rt.db.read() as session:
            link = session.exec(select(InboundKey).where(InboundKey.alert_id == recurred)).one()
        assert (link.occurrence, link.previous_alert_id) == (2, down)
        recurrence = [e for e in events_for(rt.db, "alert", recurred) if e.kind == "alert.recurred"]
        assert recurrence and recurrence[0].payload["previous"] == down
        # The detail screen lists each occurrence among the other's related alerts.
        assert get_alert(rt, recurred).related == (down,) and get_alert(rt, down).related == (recurred,)


def test_resolved_for_an_acknowledged_alert_is_marked_not_cleared(rt: Runtime, clock: FakeClock, staff: dict[str, Actor],
                                                                   db_target: str) -> None:
    with listening(rt) as desk:
        (held,) = desk.alertmanager(am_post(am_alert("aa11bb22cc33dd44"))).json()["created"]
        clock.fast_forward(timedelta(minutes=2))
        acknowledge(rt, staff["hung"], held)
        clock.fast_forward(timedelta(minutes=20))
        answer = desk.alertmanager(am_post(am_alert("aa11bb22cc33dd44", "resolved")))
        assert answer.json()["source_resolved"] == [held] and answer.json()["cleared"] == []
        row = alerts(rt)[0]
        assert row.state == "acknowledged" and row.resolved_at is None
        marks = [e for e in events_for(rt.db, "alert", held) if e.kind == "alert.source_resolved"]
        assert len(marks) == 1 and "Source says resolved" in marks[0].payload["note"]
        shown = CliRunner().invoke(cli, ["--db", db_target, "alert", "show", str(held)], catch_exceptions=False)
        assert "the source says it is resolved" in shown.output and "Source says resolved: Alertmanager (prom)" in shown.output
        # Said twice, recorded once; firing again while held is the same alert, and says so.
        desk.alertmanager(am_post(am_alert("aa11bb22cc33dd44", "resolved")))
        assert desk.alertmanager(am_post(am_alert("aa11bb22cc33dd44"))).json()["repeated"] == [held]
        kinds = [e.kind for e in events_for(rt.db, "alert", held)]
        assert kinds.count("alert.source_resolved") == 1 and kinds[-1] == "alert.source_firing"
        assert len(alerts(rt)) == 1


def test_resolved_after_the_ack_timed_out_is_still_the_officers(rt: Runtime, clock: FakeClock, staff: dict[str, Actor]) -> None:
    """Acknowledged, then back to escalating (ack timeout): a person held it, so the source's
    "resolved" is recorded for that person, not a clearance by the system."""
    with listening(rt) as desk:
        (held,) = desk.alertmanager(am_post(am_alert("ee55ff66"))).json()["created"]
        acknowledge(rt, staff["thu"], held)
        clock.fast_forward(rt.config.policies[Severity.HIGH].ack_timeout + timedelta(minutes=1))
        escalate_due(rt)
        assert alerts(rt)[0].state == "new"
        answer = desk.alertmanager(am_post(am_alert("ee55ff66", "resolved")))
    assert answer.json()["source_resolved"] == [held] and alerts(rt)[0].state == "new"


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer wrong-token-0123456789"},
    {"Authorization": f"Bearer {GENERIC_TOKEN}"},  # another integration's token, on the wrong endpoint
    {"Authorization": f"Basic {AM_TOKEN}"},
    {},
])
def test_a_wrong_token_is_401_and_stores_nothing(rt: Runtime, headers: dict[str, str]) -> None:
    before = event_count(rt)
    with listening(rt) as desk:
        answer = desk.alertmanager(am_post(am_alert("1234")), token=None, headers=headers)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert alerts(rt) == [] and event_count(rt) == before


def test_an_oversized_body_is_413_and_stores_nothing(rt: Runtime) -> None:
    big = am_post(*[am_alert(f"fp{n}") for n in range(200)])  # about 100 KB, the cap is 64 KB
    before = event_count(rt)
    with listening(rt) as desk:
        assert desk.alertmanager(big).status_code == 413
        # Chunked (no Content-Length): cut off at the cap while reading.
        raw = json.dumps(big).encode()
        chunked = desk.post("/api/v1/alertmanager", content=(raw[i:i + 4096] for i in range(0, len(raw), 4096)))
        assert chunked.status_code == 413
        assert desk.alertmanager(am_post(am_alert("small"))).status_code == 200  # the listener goes on
    assert len(alerts(rt)) == 1 and event_count(rt) == before + 1


def test_fifty_concurrent_posts_are_each_stored_once(rt: Runtime) -> None:
    """50 alerts, each posted twice at the same moment (Alertmanager retrying): 50 alerts, 50 events."""
    with listening(rt) as desk, ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda n: desk.alertmanager(am_post(am_alert(f"fp-{n % 50:02d}"))), range(100)))
    assert {a.status_code for a in answers} == {200}
    created = [i for a in answers for i in a.json()["created"]]
    repeated = [i for a in answers for i in a.json()["repeated"]]
    assert len(created) == 50 and len(set(created)) == 50 and sorted(set(repeated)) == sorted(created)
    assert len(alerts(rt)) == 50
    with rt.db.read() as session:
        raised = session.exec(select(func.count()).select_from(Event).where(Event.kind == "alert.raised")).one()
        keys = session.exec(select(func.count()).select_from(InboundKey)).one()
    assert raised == 50 and keys == 50


def test_generic_alerts_keep_unknown_fields_and_dedup_by_key(rt: Runtime, clock: FakeClock) -> None:
    body = {"title": "Wazuh: ransomware note written on fileserver-02", "severity": "critical",
            "summary": "README_DECRYPT.txt appeared in 14 shares.", "link": "https://wazuh.example.vn/app/alerts/7781",
            "dedup_key": "wazuh-7781", "category": "other", "rule_id": 87105, "agent": {"name": "fileserver-02", "ip": "10.0.4.12"}}
    with listening(rt) as desk:
        (made,) = desk.generic(body).json()["created"]
        assert desk.generic(body).json()["repeated"] == [made]
        no_key = desk.generic({"title": "Uptime: portal down", "severity": "warning"}).json()["created"]
        assert len(no_key) == 1 and desk.generic({"title": "Uptime: portal down"}).json()["created"] != no_key
        assert desk.generic({"summary": "no title"}).status_code == 400
        assert desk.generic({"status": "resolved"}).status_code == 400
        clock.fast_forward(timedelta(minutes=3))
        assert desk.generic({"dedup_key": "wazuh-7781", "status": "resolved"}).json()["cleared"] == [made]
    row = {a.id: a for a in alerts(rt)}[made]
    assert (row.severity, row.category, row.link) == ("critical", "other", "https://wazuh.example.vn/app/alerts/7781")
    assert "rule_id: 87105" in row.summary and "fileserver-02" in row.summary and "10.0.4.12" in row.summary
    assert row.state == "resolved" and row.source_key == "inbound:zabbix"
    assert [a.severity for a in alerts(rt) if a.title == "Uptime: portal down"] == ["medium", "high"]


def test_the_listener_is_off_by_default_and_loopback_unless_configured(tmp_path: Path) -> None:
    plain = parse_config({})
    assert inbound_plan(plain.inbound, "w.toml", ENV) is None
    configured = inbound_config()
    plan = inbound_plan(configured.inbound, "w.toml", ENV, listen="127.0.0.1:8787")
    assert plan is not None and (plan.host, plan.port, plan.loopback) == ("127.0.0.1", 8787, True)
    with pytest.raises(ConfigError, match=r"'0\.0\.0\.0:8787' is reachable beyond this machine.*w\.toml"):
        inbound_plan(configured.inbound, "w.toml", ENV, listen="0.0.0.0:8787")
    wide = parse_config({"inbound": dict(INBOUND, listen="0.0.0.0:8787")})
    plan = inbound_plan(wide.inbound, "w.toml", ENV)
    assert plan is not None and not plan.loopback and plan.host == "0.0.0.0"
    with pytest.raises(ConfigError, match=r"integration 'zabbix' takes its token from \$WD_GENERIC_TOKEN, which is not set"):
        inbound_plan(configured.inbound, "w.toml", {"WD_AM_TOKEN": AM_TOKEN})
    with pytest.raises(ConfigError, match=r"too short"):
        inbound_plan(configured.inbound, "w.toml", dict(ENV, WD_AM_TOKEN="short"))
    with pytest.raises(ConfigError, match=r"no \[\[inbound.integrations\]\]"):
        inbound_plan(plain.inbound, "w.toml", ENV, listen="127.0.0.1:8787")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp_path: Path, db: Path) -> tuple[subprocess.Popen[str], str]:
    """`watchdesk serve --listen` on a free loopback port, answering; returns (process, base URL)."""
    port = _free_port()
    cfg = tmp_path / "watchdesk.toml"
    cfg.write_text(
        '[[inbound.integrations]]\nkey = "prom"\nkind = "alertmanager"\ntoken_env = "WD_AM_TOKEN"\n', encoding="utf-8")
    env = {**os.environ, **ENV, "WATCHDESK_CONFIG": str(cfg), "WATCHDESK_DB": str(db)}
    proc = subprocess.Popen([sys.executable, "-m", "watchdesk", "serve", "--interval", "1s", "--listen", f"127.0.0.1:{port}"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            httpx.get(url + "/", timeout=5)  # 404 once it answers
            return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("serve --listen did not answer within 60 s")


def _stop(proc: subprocess.Popen[str]) -> str:
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    return err


def _titles(db: Path) -> list[str]:
    live = open_runtime(parse_config({}), db_path=str(db))
    try:
        with live.db.read() as session:
            return [a.title for a in session.exec(select(Alert).order_by(Alert.id)).all()]
    finally:
        live.db.dispose()


def test_serve_with_listen_takes_alerts_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "serve.db"
    proc, url = _serve(tmp_path, db)
    try:
        answer = httpx.post(url + "/api/v1/alertmanager", json=am_post(am_alert("cli-1")),
                            headers={"Authorization": f"Bearer {AM_TOKEN}"}, timeout=10)
    finally:
        err = _stop(proc)
    assert answer.status_code == 200 and len(answer.json()["created"]) == 1
    assert "taking alerts at http://127.0.0.1:" in err
    assert _titles(db) == ["InstanceDown: Cổng thông tin không phản hồi"]


def test_two_serve_processes_on_one_database_store_each_alert_once(tmp_path: Path) -> None:
    """Two desks' `serve --listen` (an Alertmanager HA pair sends to both): the same 30 alerts
    posted to both at once are 30 alerts."""
    db = tmp_path / "pair.db"
    first, one = _serve(tmp_path, db)
    second, two = _serve(tmp_path, db)
    try:
        def post(n: int) -> int:
            target = one if n % 2 else two
            answer = httpx.post(target + "/api/v1/alertmanager", json=am_post(am_alert(f"ha-{n // 2}")),
                                headers={"Authorization": f"Bearer {AM_TOKEN}"}, timeout=60)
            assert answer.status_code == 200, answer.text
            return len(answer.json()["created"])

        with ThreadPoolExecutor(12) as pool:
            created = sum(pool.map(post, range(60)))
    finally:
        _stop(first)
        _stop(second)
    assert created == 30 and len(_titles(db)) == 30


def test_serve_refuses_a_wide_listen_given_only_on_the_command_line(tmp_path: Path) -> None:
    cfg = tmp_path / "watchdesk.toml"
    cfg.write_text('[[inbound.integrations]]\nkey = "prom"\nkind = "alertmanager"\ntoken_env = "WD_AM_TOKEN"\n', encoding="utf-8")
    env = {**os.environ, **ENV, "WATCHDESK_CONFIG": str(cfg), "WATCHDESK_DB": str(tmp_path / "w.db")}
    out = subprocess.run([sys.executable, "-m", "watchdesk", "serve", "--listen", "0.0.0.0:8787"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "'0.0.0.0:8787' is reachable beyond this machine" in out.stderr and "Traceback" not in out.stderr
