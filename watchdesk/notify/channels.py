"""The channels that carry a message: terminal, desktop, webhook (json/telegram/slack), email.

`Channels.send` either returns (delivered) or raises `DeliveryError`, which says whether a
retry can help (`permanent`) and how long the other side asked us to wait (`retry_after`).
Channel settings come from `[channels.NAME]` in the config; secrets only from environment
variables named there (`token_env`, `password_env`), never from the file.

A channel's `timeout` bounds the whole send, not each read: a `Cutoff` shuts the send's
sockets down at its deadline, so a receiver that drips one byte every few seconds, or an SMTP
server that never finishes its greeting, is cut off on time. Answers are read only as far as
needed (nothing of a 2xx, at most `MAX_ANSWER` bytes of an error), never whole.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.mime.text import MIMEText
from email.utils import format_datetime
from hashlib import sha256
from typing import Any

import httpx

from watchdesk.config import ChannelConfig
from watchdesk.core.retry_after import retry_after as read_retry_after


@dataclass(frozen=True)
class Message:
    """One outbox row, as a channel sees it."""

    id: int
    alert_id: int | None
    level: int
    round: int
    channel: str
    target: str
    dedup_key: str
    subject: str
    body: str
    attempts: int = 0


class DeliveryError(Exception):
    """A send that did not happen; the message is one sentence for the delivery log."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


# Statuses where the same request may succeed later; any other 4xx will not heal by retrying.
_RETRYABLE_4XX = {408, 409, 425, 429}
MAX_ANSWER = 4096  # bytes of an error answer read (for Telegram's retry_after); the rest is never read


class Cutoff:
    """An overall deadline for one send: when it passes, every socket being watched is shut down.

    `shutdown()` from another thread wakes a thread blocked in recv/send (closing the socket does
    not), so the send ends with an error within moments of the deadline whatever the other side
    does. Sockets are watched through getters because TLS and STARTTLS replace the socket object.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds  # scheduling only; domain time comes from the clock
        self.expired = False
        self._getters: list[Callable[[], Any]] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.cut)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(0.05, self.deadline - time.monotonic())

    def watch(self, getter: Callable[[], Any]) -> None:
        with self._lock:
            self._getters.append(getter)
            late = self.expired
        if late:
            self.cut()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx/httpcore trace hook: watch the socket of each new connection (and of its TLS layer)."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            if stream is not None:
                sock = stream.get_extra_info("socket")
                self.watch(lambda: sock)

    def cut(self) -> None:
        with self._lock:
            self.expired = True
            getters = list(self._getters)
        for getter in getters:
            try:
                sock = getter()
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass  # already closed or detached (wrapped by TLS): the newer socket is watched too

    def done(self) -> None:
        self._timer.cancel()


def _ssl_context(conf: ChannelConfig) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if conf.ca_file:
        try:
            context.load_verify_locations(cafile=os.path.expanduser(conf.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryError(f"cannot read ca_file '{conf.ca_file}' ({exc}); fix the path in [channels].", permanent=True) from None
    return context


def _secret(env_name: str, what: str, channel: str) -> str:
    if not env_name:
        return ""
    value = os.environ.get(env_name, "")
    if not value:
        raise DeliveryError(
            f"channel '{channel}': environment variable {env_name} ({what}) is not set; set it where the engine runs.",
            permanent=True,
        )
    return value


class Channels:
    """Senders for every configured channel; keeps one HTTP client per webhook channel."""

    def __init__(self, channels: dict[str, ChannelConfig]) -> None:
        self.config = channels
        self._clients: dict[str, httpx.Client] = {}
        self._sending: set[Cutoff] = set()
        self._lock = threading.Lock()

    def close(self) -> None:
        """Cut every send still out (its thread then ends at once) and close the HTTP clients."""
        with self._lock:
            sending, self._sending = list(self._sending), set()
            clients, self._clients = list(self._clients.values()), {}
        for cut in sending:
            cut.cut()
        for client in clients:
            client.close()

    def kind(self, name: str) -> str:
        conf = self.config.get(name)
        return conf.type if conf else ""

    def send(self, msg: Message, now: datetime) -> None:
        conf = self.config.get(msg.channel)
        if conf is None:
            raise DeliveryError(f"channel '{msg.channel}' is no longer defined under [channels]; the message cannot be sent.", permanent=True)
        if not conf.enabled:
            raise DeliveryError(f"channel '{msg.channel}' is disabled in the config (enabled = false).", permanent=True)
        sender = {"terminal": self._terminal, "desktop": self._desktop, "webhook": self._webhook, "email": self._email}[conf.type]
        cut = Cutoff(conf.timeout.total_seconds())
        with self._lock:
            self._sending.add(cut)
        try:
            sender(msg.channel, conf, msg, now, cut)
        finally:
            cut.done()
            with self._lock:
                self._sending.discard(cut)

    # -- terminal -------------------------------------------------------------------------
    @staticmethod
    def _terminal(name: str, conf: ChannelConfig, msg: Message, now: datetime, cut: Cutoff) -> None:
        # Every running desk watches the outbox for terminal rows; marking the row sent is the delivery.
        return None

    # -- desktop --------------------------------------------------------------------------
    @staticmethod
    def _desktop(name: str, conf: ChannelConfig, msg: Message, now: datetime, cut: Cutoff) -> None:
        exe = shutil.which("notify-send")
        if exe is None:
            raise DeliveryError(
                "notify-send is not installed on the machine running the engine; install libnotify-bin "
                f"or remove '{name}' from the policies' channels.",
                permanent=True,
            )
        args = [exe, "--app-name=watchdesk", "--urgency=critical", msg.subject, msg.body]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=cut.remaining(), check=False)
        except subprocess.TimeoutExpired:
            raise DeliveryError(f"notify-send did not finish within {conf.timeout.total_seconds():.0f} s.") from None
        except OSError as exc:
            raise DeliveryError(f"notify-send could not run ({exc.strerror}).", permanent=True) from None
        if done.returncode != 0:
            # Usually no desktop session (no D-Bus) where the engine runs: retrying will not help.
            raise DeliveryError(
                f"notify-send failed (exit {done.returncode}: {done.stderr.strip()[:200] or 'no desktop session?'}).",
                permanent=True,
            )

    # -- webhook --------------------------------------------------------------------------
    def _client(self, name: str, conf: ChannelConfig) -> httpx.Client:
        with self._lock:
            client = self._clients.get(name)
            if client is None:
                verify: Any = _ssl_context(conf) if conf.ca_file else True
                # No keep-alive: every send opens its own connection, so its Cutoff sees the socket.
                client = httpx.Client(timeout=conf.timeout.total_seconds(), verify=verify, follow_redirects=False,
                                      limits=httpx.Limits(max_keepalive_connections=0))
                self._clients[name] = client
            return client

    def _webhook(self, name: str, conf: ChannelConfig, msg: Message, now: datetime, cut: Cutoff) -> None:
        token = _secret(conf.token_env, "the token", name)
        url = conf.url
        headers = {"Idempotency-Key": msg.dedup_key, "User-Agent": "watchdesk"}
        if conf.format == "telegram":
            if "{token}" in url:
                url = url.replace("{token}", token)
            if not msg.target:
                raise DeliveryError("no Telegram chat id for this officer; add one with --chat telegram=ID.", permanent=True)
            payload: dict[str, Any] = {
                "chat_id": msg.target,
                "text": f"{msg.subject}\n\n{msg.body}",
                "disable_web_page_preview": True,
            }
        elif conf.format == "slack":
            if token:
                headers["Authorization"] = f"Bearer {token}"
            mention = f"@{msg.target} " if msg.target and not msg.target.startswith(("@", "#")) else (f"{msg.target} " if msg.target else "")
            payload = {"text": f"{mention}{msg.subject}\n{msg.body}", "username": "watchdesk"}
        else:
            if token:
                headers["Authorization"] = f"Bearer {token}"
            payload = {
                "id": msg.id,
                "dedup_key": msg.dedup_key,
                "alert_id": msg.alert_id,
                "level": msg.level,
                "round": msg.round,
                "target": msg.target,
                "subject": msg.subject,
                "text": msg.body,
            }
        where = httpx.URL(url).copy_with(query=None)  # never log a token carried in the path/query
        shown = f"{where.scheme}://{where.host}:{where.port or ''}"
        seconds = conf.timeout.total_seconds()
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            with self._client(name, conf).stream(
                "POST", url, content=body, headers={**headers, "Content-Type": "application/json"},
                timeout=cut.remaining(), extensions={"trace": cut.trace},
            ) as response:
                status = response.status_code
                if 200 <= status < 300:
                    return  # delivered: the answer's body is never read
                answer = _read_capped(response, MAX_ANSWER)
                reason = response.reason_phrase or ""
                asked = read_retry_after(response.headers.get("Retry-After"), now)
                retry_after = asked.total_seconds() if asked is not None else None
        except httpx.HTTPError as exc:
            if cut.expired or isinstance(exc, httpx.TimeoutException):
                raise DeliveryError(f"{shown} did not answer within {seconds:.0f} s.") from None
            detail = str(exc)[:200]
            raise DeliveryError(f"{shown}: {type(exc).__name__}: {detail.replace(token, '***') if token else detail}") from None
        if retry_after is None and conf.format == "telegram":
            try:  # Bot API: {"ok": false, "parameters": {"retry_after": 30}}
                retry_after = float(json.loads(answer)["parameters"]["retry_after"])
            except (ValueError, KeyError, TypeError, OverflowError):
                retry_after = None
            if retry_after is not None and not (math.isfinite(retry_after) and retry_after >= 0):
                retry_after = None  # NaN, Infinity or a negative wait: our own back-off applies
        permanent = 400 <= status < 500 and status not in _RETRYABLE_4XX
        raise DeliveryError(f"{shown} answered HTTP {status} {reason}".rstrip() + ".", retry_after=retry_after, permanent=permanent)

    # -- email ----------------------------------------------------------------------------
    @staticmethod
    def _email(name: str, conf: ChannelConfig, msg: Message, now: datetime, cut: Cutoff) -> None:
        if not msg.target or "@" not in msg.target:
            raise DeliveryError("no e-mail address for this officer; add one to the officer record.", permanent=True)
        password = _secret(conf.password_env, "the SMTP password", name)
        # compat32 MIMEText + Header: the default policy's folder drops the space between two
        # encoded words, which garbles long Vietnamese subjects ("vào cơ" became "vàocơ").
        email = MIMEText(msg.body, "plain", "utf-8")
        email["From"] = conf.sender
        email["To"] = msg.target
        email["Subject"] = Header(msg.subject, "utf-8")
        email["Date"] = format_datetime(now)
        # The same Message-ID on a retry lets mail clients fold an at-least-once duplicate.
        email["Message-ID"] = f"<{sha256(msg.dedup_key.encode()).hexdigest()[:32]}@watchdesk>"
        timeout = conf.timeout.total_seconds()
        try:
            # Made unconnected, so the Cutoff watches the socket from the greeting on (a server
            # dripping its banner is cut at the deadline like any other stall).
            if conf.port == 465:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(timeout=timeout, context=_ssl_context(conf))
            else:
                smtp = smtplib.SMTP(timeout=timeout)
            smtp._host = conf.host  # what connect() from __init__ would set: TLS checks the certificate against it
            cut.watch(lambda: getattr(smtp, "sock", None))
            smtp.connect(conf.host, conf.port)
            with smtp:
                smtp.ehlo()
                if conf.starttls and conf.port != 465:
                    smtp.starttls(context=_ssl_context(conf))
                    smtp.ehlo()
                if conf.username:
                    smtp.login(conf.username, password)
                smtp.send_message(email)
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            if cut.expired:
                raise DeliveryError(f"{conf.host}:{conf.port} did not finish the SMTP conversation within {timeout:.0f} s.") from None
            raise _email_error(conf, msg, exc) from None


def _email_error(conf: ChannelConfig, msg: Message, exc: BaseException) -> DeliveryError:
    """What an SMTP failure means, as one sentence for the delivery log."""
    where = f"{conf.host}:{conf.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(f"{where} refused the login for '{conf.username}' ({exc.smtp_code}); check username and "
                             f"{conf.password_env or 'password_env'}.", permanent=True)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return DeliveryError(f"{where} refused the recipient {msg.target}.", permanent=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return DeliveryError(f"{where} answered {exc.smtp_code} {text[:200]}.", permanent=500 <= exc.smtp_code < 600)
    return DeliveryError(f"{where}: {type(exc).__name__}: {str(exc)[:200]}")


def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """At most `limit` bytes of an answer's body, as they come; the rest is dropped with the connection."""
    out = bytearray()
    for chunk in response.iter_raw():
        out += chunk
        if len(out) >= limit:
            break
    return bytes(out[:limit])
