"""Delivery: retries with backoff, Retry-After, giving up, and each channel's shape on a real server."""

from __future__ import annotations

import email.policy
import ssl
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.engine.conftest import Desk, WebhookServer, duty, kinds, new_alert
from tests.support.smtp_server import PortZeroController
from watchdesk.clock import FakeClock
from watchdesk.config import parse_config
from watchdesk.core.records import Actor
from watchdesk.notify.channels import Channels, DeliveryError, Message
from watchdesk.notify.outbox import delivery_log
from watchdesk.services import lifecycle
from watchdesk.services.runtime import Runtime, open_runtime
from watchdesk.store.audit import events_for


def _hook_rows(rt: Runtime, alert_id: int) -> list:
    return [d for d in delivery_log(rt, alert_id) if d.channel == "hook"]


def test_500_then_429_with_retry_after(desk: Desk, rt: Runtime, webhook: WebhookServer) -> None:
    """A 500 is retried after a jittered backoff (5–10 s for the first retry); a 429's Retry-After is obeyed to the second."""
    webhook.script[:] = [(500, {}), (429, {"Retry-After": "120"})]
    alert = new_alert(rt)
    desk.tick()
    assert len(webhook.take()) == 1  # the 500
    (row,) = _hook_rows(rt, alert)
    assert row.status == "pending" and row.attempts == 1 and "HTTP 500" in row.last_error
    wait = (row.next_attempt_at - rt.now()).total_seconds()
    assert 5 <= wait <= 10
    desk.clock.fast_forward(wait - 1)
    desk.tick()
    assert webhook.take() == []  # not yet
    desk.clock.fast_forward(1)
    desk.tick()
    assert len(webhook.take()) == 1  # the 429
    (row,) = _hook_rows(rt, alert)
    assert "HTTP 429" in row.last_error and (row.next_attempt_at - rt.now()) == timedelta(seconds=120)
    desk.clock.fast_forward(119)
    desk.tick()
    assert webhook.take() == []
    desk.clock.fast_forward(1)
    desk.tick()
    third = webhook.take()
    assert len(third) == 1
    (row,) = _hook_rows(rt, alert)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    # The same idempotency key every time: a receiver can fold an at-least-once duplicate.
    assert third[0].headers["idempotency-key"] == f"alert:{alert}:level:1:round:0:hook:hung"


def test_gives_up_after_max_attempts_and_the_timeline_shows_it(desk: Desk, rt: Runtime, webhook: WebhookServer, staff: dict[str, Actor]) -> None:
    webhook.script[:] = [(503, {})] * 4
    alert = new_alert(rt)
    desk.tick()
    # Snoozed, not acknowledged: no further steps, and the retries of a page still wanted reach the server.
    lifecycle.snooze(rt, staff["hung"], alert, timedelta(hours=2), "checking with the vendor")
    desk.clock.fast_forward(timedelta(minutes=10))
    for _ in range(3):
        desk.tick()
        desk.clock.fast_forward(timedelta(minutes=10))
    desk.tick()
    assert len(webhook.take()) == 4
    (row,) = _hook_rows(rt, alert)
    assert (row.status, row.attempts) == ("failed", 4)
    failed = [e for e in events_for(rt.db, "alert", alert) if e.kind == "notification.failed"]
    assert len(failed) == 1 and failed[0].payload["target"] == "hung" and "HTTP 503" in failed[0].payload["error"]


def test_a_4xx_is_not_retried(desk: Desk, rt: Runtime, webhook: WebhookServer, staff: dict[str, Actor]) -> None:
    webhook.script[:] = [(404, {})]
    alert = new_alert(rt)
    desk.tick()
    lifecycle.snooze(rt, staff["hung"], alert, timedelta(hours=2), "checking with the vendor")
    desk.clock.fast_forward(timedelta(hours=1))
    desk.tick()
    assert len(webhook.take()) == 1
    (row,) = _hook_rows(rt, alert)
    assert row.status == "failed" and "HTTP 404" in row.last_error


def test_a_retry_due_after_the_alert_was_acknowledged_is_not_sent(desk: Desk, rt: Runtime, webhook: WebhookServer, staff: dict[str, Actor]) -> None:
    """The page failed once; the officer acknowledged at the desk meanwhile: the retry would only wake
    someone for handled work, so it is marked cancelled, logged, and nothing reaches the server."""
    webhook.script[:] = [(500, {})]
    alert = new_alert(rt)
    desk.tick()
    assert len(webhook.take()) == 1  # the 500
    lifecycle.acknowledge(rt, staff["hung"], alert)
    desk.clock.fast_forward(timedelta(minutes=10))
    desk.tick()
    assert webhook.take() == []
    (row,) = _hook_rows(rt, alert)
    assert (row.status, row.attempts) == ("cancelled", 1)
    assert row.last_error == "not sent: the alert was acknowledged before this page came due"
    (event,) = [e for e in events_for(rt.db, "alert", alert) if e.kind == "notification.cancelled"]
    assert event.payload["target"] == "hung" and event.payload["state"] == "acknowledged"
    desk.clock.fast_forward(timedelta(hours=1))
    desk.tick()
    assert webhook.take() == []  # cancelled stays cancelled


def test_a_page_of_an_alert_escalated_by_hand_after_acknowledgment_is_sent(desk: Desk, rt: Runtime, webhook: WebhookServer, staff: dict[str, Actor]) -> None:
    """A lead escalating an acknowledged alert makes it new again: that page, and its retries, go out."""
    alert = new_alert(rt)
    desk.tick()
    assert len(webhook.take()) == 1
    lifecycle.acknowledge(rt, staff["hung"], alert)
    webhook.script[:] = [(500, {})]
    lifecycle.escalate(rt, staff["lan"], alert, "the vendor needs the lead")
    desk.tick()
    assert len(webhook.take()) == 1  # the 500
    desk.clock.fast_forward(timedelta(seconds=11))
    desk.tick()
    (retry,) = webhook.take()
    assert retry.body["level"] == 2
    assert {d.status for d in _hook_rows(rt, alert)} == {"sent"}


def _msg(channel: str, target: str) -> Message:
    return Message(7, 12, 2, 0, channel, target, f"alert:12:level:2:round:0:{channel}:{target}", "[CRITICAL] #12 FortiOS", "body text")


def test_telegram_and_slack_shapes(webhook: WebhookServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_TOKEN", "123:secret")
    config = parse_config({"channels": {
        "tg": {"type": "webhook", "format": "telegram", "url": webhook.url.replace("/hook", "/bot{token}/sendMessage"), "token_env": "TG_TOKEN"},
        "mm": {"type": "webhook", "format": "slack", "url": webhook.url},
    }})
    channels = Channels(dict(config.channels))
    now = datetime(2026, 2, 17, tzinfo=timezone.utc)
    channels.send(_msg("tg", "998877"), now)
    channels.send(_msg("mm", "lan"), now)
    channels.close()
    tg, mm = webhook.take()
    assert tg.path == "/bot123:secret/sendMessage"
    assert tg.body == {"chat_id": "998877", "text": "[CRITICAL] #12 FortiOS\n\nbody text", "disable_web_page_preview": True}
    assert mm.body == {"text": "@lan [CRITICAL] #12 FortiOS\nbody text", "username": "watchdesk"}


def test_telegram_429_retry_after_in_the_body(webhook: WebhookServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_TOKEN", "t")
    webhook.script[:] = [(429, {})]
    config = parse_config({"channels": {"tg": {"type": "webhook", "format": "telegram", "url": webhook.url, "token_env": "TG_TOKEN"}}})
    channels = Channels(dict(config.channels))
    # The scripted server answers {"ok": false} without parameters: no Retry-After at all.
    with pytest.raises(DeliveryError) as caught:
        channels.send(_msg("tg", "1"), datetime(2026, 2, 17, tzinfo=timezone.utc))
    assert caught.value.retry_after is None and not caught.value.permanent
    channels.close()


def test_missing_token_is_a_clear_permanent_failure(webhook: WebhookServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)
    config = parse_config({"channels": {"tg": {"type": "webhook", "format": "telegram", "url": webhook.url, "token_env": "NO_SUCH_TOKEN"}}})
    with pytest.raises(DeliveryError, match="NO_SUCH_TOKEN") as caught:
        Channels(dict(config.channels)).send(_msg("tg", "1"), datetime(2026, 2, 17, tzinfo=timezone.utc))
    assert caught.value.permanent
    assert webhook.take() == []


def test_desktop_without_notify_send_fails_once_clearly(clock: FakeClock, tmp_path: Path, staff_free_config: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default policies use terminal + desktop; with no notify-send the desktop row fails at once, never retried forever."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    rt = open_runtime(parse_config({}), db_path=str(tmp_path / "defaults.db"), clock=clock)
    staff_free_config(rt)
    from watchdesk.engine import Engine

    engine = Engine(rt, kind="tick")
    alert = new_alert(rt)
    engine.tick()
    rows = {d.channel: d for d in delivery_log(rt, alert)}
    assert rows["terminal"].status == "sent"
    assert rows["desktop"].status == "failed" and rows["desktop"].attempts == 1
    assert "notify-send is not installed" in rows["desktop"].last_error
    assert "notification.failed" in kinds(rt, alert)
    engine.close()
    rt.db.dispose()


# -- e-mail: a real SMTP server with STARTTLS and LOGIN ----------------------------------------
class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)  # certificate validity is real time, not the desk's clock
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def smtp(tmp_path: Path) -> Iterable[tuple[_Inbox, int, Path]]:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = _Inbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"desk" and auth_data.password == b"s3cret"
        if ok:
            inbox.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    controller = PortZeroController(
        inbox, hostname="127.0.0.1", port=0, tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_require_tls=True,
    )
    controller.start()
    yield inbox, controller.port, cert
    controller.stop()


def test_email_over_starttls_with_login(smtp: tuple[_Inbox, int, Path], tmp_path: Path, clock: FakeClock, staff_free_config: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port, cert = smtp
    monkeypatch.setenv("SMTP_PASS", "s3cret")
    config = parse_config({
        "channels": {"mail": {"type": "email", "host": "127.0.0.1", "port": port, "starttls": True, "username": "desk",
                              "password_env": "SMTP_PASS", "sender": "watchdesk@unit.example.vn", "ca_file": str(cert)}},
        "policies": {"critical": {"steps": [{"after": "0s", "level": 1, "channels": ["mail"]}], "repeat": 0}},
    })
    rt = open_runtime(config, db_path=str(tmp_path / "mail.db"), clock=clock)
    staff_free_config(rt)
    from watchdesk.engine import Engine

    engine = Engine(rt, kind="tick")
    alert = new_alert(rt, title="Chiến dịch APT nhắm vào cơ quan nhà nước [khẩn]")
    report = engine.tick()
    assert report.delivered == 1, report
    assert inbox.logins == ["desk"]
    ((rcpts, raw),) = inbox.messages
    assert rcpts == ["hung@example.vn"]
    mail = message_from_bytes(raw, policy=email.policy.default)
    assert str(mail["Subject"]) == f"[CRITICAL] #{alert} Chiến dịch APT nhắm vào cơ quan nhà nước [khẩn] (level 1)"
    assert mail["Message-ID"].endswith("@watchdesk>")
    engine.close()
    rt.db.dispose()


def test_email_wrong_password_fails_clearly(smtp: tuple[_Inbox, int, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port, cert = smtp
    monkeypatch.setenv("SMTP_PASS", "wrong")
    config = parse_config({"channels": {"mail": {"type": "email", "host": "127.0.0.1", "port": port, "username": "desk", "timeout": "5s",
                                                  "password_env": "SMTP_PASS", "sender": "w@unit.example.vn", "ca_file": str(cert)}}})
    with pytest.raises(DeliveryError, match="refused the login") as caught:
        Channels(dict(config.channels)).send(_msg("mail", "lan@example.vn"), datetime(2026, 2, 17, tzinfo=timezone.utc))
    assert caught.value.permanent and inbox.messages == []


def test_email_untrusted_certificate_is_refused(smtp: tuple[_Inbox, int, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port, _cert = smtp
    monkeypatch.setenv("SMTP_PASS", "s3cret")
    config = parse_config({"channels": {"mail": {"type": "email", "host": "127.0.0.1", "port": port, "username": "desk",
                                                  "password_env": "SMTP_PASS", "sender": "w@unit.example.vn"}}})
    with pytest.raises(DeliveryError, match="SSL|certificate"):
        Channels(dict(config.channels)).send(_msg("mail", "lan@example.vn"), datetime(2026, 2, 17, tzinfo=timezone.utc))
    assert inbox.messages == []


@pytest.fixture
def staff_free_config() -> Any:
    """Adds the desk's people and hung's level-1 shift to a runtime opened by the test itself."""

    def setup(rt: Runtime) -> None:
        from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in

        bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", "246810")
        boss = sign_in(rt, "minh", "246810")
        add_officer(rt, boss, "hung", "Lê Văn Hùng", "officer", email="hung@example.vn")
        t0 = rt.now()
        duty(rt, "hung", 1, t0 - timedelta(hours=1), t0 + timedelta(hours=8))

    return setup



@pytest.mark.parametrize("asked", [b"NaN", b"Infinity", b"-5", b"1e999", b'"soon"'])
def test_a_hostile_telegram_retry_after_falls_back_to_our_own_backoff(asked: bytes, webhook: WebhookServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the officer sees: the page is retried on the channel's own schedule, never a crash of the outbox."""
    from watchdesk.notify.outbox import retry_delay

    monkeypatch.setenv("TG_TOKEN", "t")
    webhook.script[:] = [(429, {})]
    webhook.error_body = b'{"ok": false, "parameters": {"retry_after": ' + asked + b"}}"
    config = parse_config({"channels": {"tg": {"type": "webhook", "format": "telegram", "url": webhook.url, "token_env": "TG_TOKEN"}}})
    channels = Channels(dict(config.channels))
    with pytest.raises(DeliveryError) as caught:
        channels.send(_msg("tg", "1"), datetime(2026, 2, 17, tzinfo=timezone.utc))
    channels.close()
    assert caught.value.retry_after is None and not caught.value.permanent
    wait = retry_delay(config.channels["tg"], 1, caught.value.retry_after)
    assert timedelta(0) < wait <= config.channels["tg"].retry_max
    assert retry_delay(config.channels["tg"], 1, float("nan")) <= config.channels["tg"].retry_max
