"""TOML config -> validated, frozen `Config`.

Found by `--config PATH`, else `$WATCHDESK_CONFIG`, else `./watchdesk.toml`, else the user
config directory; with none, the built-in defaults (which work). Validation is pydantic's
(already a dependency of SQLModel) with unknown keys forbidden; every error becomes one
sentence naming the file, the key and what is allowed. Finding and reading the file (stdlib
only, for the desk's shell) is watchdesk/config_file.py.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from watchdesk.config_file import (
    DEFAULTS_WHERE,
    DESK_NAME,
    DESK_TIMEZONE,
    LANGUAGES,
    THEME_NAMES,
    ConfigError,
    load_toml,
    sqlite_url,
)
from watchdesk.core.enums import Severity, SourceKind
from watchdesk.core.keys import key_problem
from watchdesk.core.limits import format_duration, parse_duration
from watchdesk.core.networks import Network, parse_network
from watchdesk.core.text import clean_line
from watchdesk.i18n import _

__all__ = ["Config", "ConfigError", "DURATION_LIMITS", "format_duration", "load_config", "parse_config", "parse_duration"]


# Each duration key's range, stated once: the README's configuration section and the comments in
# config.example.toml list the same figures (tests/core/test_config.py holds them to it).
DURATION_LIMITS: dict[str, tuple[str, str]] = {
    "database.busy_timeout": ("1s", "10m"),
    "engine.tick_interval": ("1s", "1m"),
    "severities.*.ack_target": ("1m", "7d"),
    "policies.*.steps.after": ("0s", "7d"),
    "policies.*.ack_timeout": ("1m", "7d"),
    "alerts.snooze_max": ("1m", "7d"),
    "channels.*.timeout": ("1s", "5m"),
    "channels.*.retry_initial": ("1s", "1h"),
    "channels.*.retry_max": ("1s", "1d"),
    "sources.interval": ("1m", "7d"),
    "sources.timeout": ("1s", "5m"),
    "sources.deadline": ("1s", "1h"),
    "sources.stale_after": ("1h", "366d"),
    "sources.fail_alert_after": ("1m", "7d"),
    "roster.max_on_duty": ("1h", "7d"),
    "roster.checkin_grace": ("0s", "6h"),
    "handover.accept_within": ("1m", "1d"),
    "handover.early_window": ("0s", "1d"),
}


def duration_limits(key: str) -> tuple[timedelta, timedelta]:
    low, high = DURATION_LIMITS[key]
    return parse_duration(low), parse_duration(high)


def _within(key: str) -> BeforeValidator:
    """A duration key's validator: the one parser, refusing values outside the key's range."""
    low, high = duration_limits(key)
    return BeforeValidator(lambda value: parse_duration(value, low, high))


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
"""Any duration up to DURATION_CEILING (keys with a range of their own use `_within`)."""


def _web_address(value: str, what: str, *, files: bool = False) -> str:
    """An http(s) URL with a host (and, for sources, file:///path on this machine), else ValueError."""
    allowed = _("an http:// or https:// address or file:///path on this machine") if files else _("an http:// or https:// address")
    if not value:
        return value
    if any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError(_("must be {allowed} without spaces or control characters").format(allowed=allowed))
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise ValueError(_("must be {allowed}").format(allowed=allowed)) from None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.hostname:
        return value
    if files and scheme == "file" and parts.netloc in ("", "localhost") and parts.path:
        return value
    if scheme == "file" and files:
        raise ValueError(_("must be {allowed}; a file: URL with a host ('{host}') is not read").format(allowed=allowed, host=parts.netloc[:40]))
    if scheme in ("http", "https"):
        raise ValueError(_("must be {allowed}; this one has no host name").format(allowed=allowed))
    if scheme:
        raise ValueError(_("must be {allowed}; {what} cannot use '{scheme}:'").format(allowed=allowed, what=what, scheme=scheme[:20]))
    raise ValueError(_("must be {allowed}").format(allowed=allowed))


def _parse_clock_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        hh, mm = value.strip().split(":")
        if int(hh) < 24 and int(mm) < 60:
            return time(int(hh), int(mm))
    raise ValueError(_("must be a time of day like '07:30'"))


ClockTime = Annotated[time, BeforeValidator(_parse_clock_time)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DeskConfig(_Section):
    name: str = DESK_NAME
    timezone: str = DESK_TIMEZONE
    language: Literal[LANGUAGES] = ""  # type: ignore[valid-type] - a tuple of literals
    theme: Literal[THEME_NAMES] = "dark"  # type: ignore[valid-type]
    keys: dict[str, str] = Field(default_factory=dict)
    """The desk's keys remapped: binding id -> key(s), e.g. {"alerts.acknowledge" = "k"} (ids: press ? in the desk)."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("must be an IANA time zone such as 'Asia/Ho_Chi_Minh'")) from None
        return value

    @field_validator("keys")
    @classmethod
    def _known_keys(cls, value: dict[str, str]) -> dict[str, str]:
        # A key Textual never sends would leave its action (the board's ack key) with no key at all.
        for binding, keys in value.items():
            problem = key_problem(keys)
            if problem:
                raise ValueError(_("entry {binding!r} {problem}").format(binding=binding[:60], problem=problem))
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DatabaseConfig(_Section):
    path: str = ""
    url: str = ""
    busy_timeout: Annotated[timedelta, _within("database.busy_timeout")] = timedelta(seconds=30)

    def resolved_url(self, override_path: str | None = None) -> str:
        """The SQLAlchemy URL: --db beats url beats path beats the user data directory."""
        return sqlite_url(self.path, self.url, override_path)


class EngineConfig(_Section):
    tick_interval: Annotated[timedelta, _within("engine.tick_interval")] = timedelta(seconds=1)
    """How often the engine runs a cycle (poll due sources, escalate, deliver)."""
    run_in_desk: bool = True
    """The desk runs the engine unless `watchdesk serve` already does."""


class SeverityConfig(_Section):
    ack_target: Annotated[timedelta, _within("severities.*.ack_target")]


def _default_severities() -> dict[Severity, SeverityConfig]:
    targets = {Severity.CRITICAL: 5, Severity.HIGH: 15, Severity.MEDIUM: 60, Severity.LOW: 240}
    return {sev: SeverityConfig(ack_target=timedelta(minutes=m)) for sev, m in targets.items()}


class StepConfig(_Section):
    after: Annotated[timedelta, _within("policies.*.steps.after")] = timedelta(0)
    """Wait after the previous step (after the alert arrived, for the first step)."""
    level: int | None = Field(default=None, ge=1, le=3)
    contacts: tuple[str, ...] = ()
    channels: tuple[str, ...] = ("terminal",)

    @model_validator(mode="after")
    def _level_or_contacts(self) -> "StepConfig":
        if self.level is None and not self.contacts:
            raise ValueError(_("each step needs a roster 'level' (1-3) or 'contacts'"))
        return self


class PolicyConfig(_Section):
    steps: tuple[StepConfig, ...]
    repeat: int = Field(default=1, ge=0, le=20)
    """Extra rounds through the steps after the first, before the alert is exhausted."""
    ack_timeout: Annotated[timedelta, _within("policies.*.ack_timeout")] = timedelta(hours=4)

    @field_validator("steps")
    @classmethod
    def _not_empty(cls, value: tuple[StepConfig, ...]) -> tuple[StepConfig, ...]:
        if not value:
            raise ValueError(_("a policy needs at least one step"))
        return value


def _policy(wait_minutes: int, repeat: int, ack_timeout_hours: int) -> PolicyConfig:
    wait = timedelta(minutes=wait_minutes)
    return PolicyConfig(
        steps=(
            StepConfig(after=timedelta(0), level=1, channels=("terminal", "desktop")),
            StepConfig(after=wait, level=2, channels=("terminal", "desktop")),
            StepConfig(after=wait, level=3, channels=("terminal", "desktop")),
            StepConfig(after=wait, contacts=("vncert",), channels=()),
        ),
        repeat=repeat,
        ack_timeout=timedelta(hours=ack_timeout_hours),
    )


def _default_policies() -> dict[Severity, PolicyConfig]:
    return {
        Severity.CRITICAL: _policy(5, 2, 2),
        Severity.HIGH: _policy(15, 1, 4),
        Severity.MEDIUM: _policy(60, 1, 12),
        Severity.LOW: _policy(240, 0, 24),
    }


class AlertsConfig(_Section):
    snooze_max: Annotated[timedelta, _within("alerts.snooze_max")] = timedelta(hours=4)
    join_related: bool = True
    """A later alert sharing a CVE with an open alert joins it instead of escalating again."""


class ChannelConfig(_Section):
    type: Literal["terminal", "desktop", "webhook", "email"]
    enabled: bool = True
    # webhook
    url: str = ""
    format: Literal["json", "telegram", "slack"] = "json"
    token_env: str = ""
    """Name of the environment variable holding a secret (Telegram bot token, …)."""
    # email
    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str = ""
    password_env: str = ""
    sender: str = ""
    ca_file: str = ""
    """PEM file of a CA (or self-signed certificate) to trust for STARTTLS/HTTPS besides the system's."""
    timeout: Annotated[timedelta, _within("channels.*.timeout")] = timedelta(seconds=10)
    max_attempts: int = Field(default=8, ge=1, le=100)
    retry_initial: Annotated[timedelta, _within("channels.*.retry_initial")] = timedelta(seconds=10)
    """First retry delay; doubles per attempt (with jitter) up to retry_max. Retry-After wins."""
    retry_max: Annotated[timedelta, _within("channels.*.retry_max")] = timedelta(minutes=10)

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        return _web_address(value, _("a webhook"))

    @model_validator(mode="after")
    def _needs(self) -> "ChannelConfig":
        if self.type == "webhook" and not self.url:
            raise ValueError(_("a webhook channel needs 'url'"))
        if self.type == "email" and not (self.host and self.sender):
            raise ValueError(_("an email channel needs 'host' and 'sender'"))
        return self


def _default_channels() -> dict[str, ChannelConfig]:
    return {"terminal": ChannelConfig(type="terminal"), "desktop": ChannelConfig(type="desktop")}


class ContactConfig(_Section):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    phone: str = ""
    hotline: str = ""
    email: str = ""
    note: str = ""
    to_verify: bool = False
    """Shipped defaults are marked: each unit checks the numbers against its latest letter."""


_CHECK = "Published in the 2024 holiday directives; check against your unit's latest letter."
DEFAULT_CONTACTS: tuple[ContactConfig, ...] = (
    ContactConfig(
        key="vncert",
        name="VNCERT/CC (Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam)",
        phone="024.3640.4421",
        hotline="086.9100.317",
        email="ir@vncert.vn",
        note=_CHECK,
        to_verify=True,
    ),
    ContactConfig(
        key="ncsc",
        name="NCSC (Trung tâm Giám sát an toàn không gian mạng quốc gia)",
        phone="024.3209.1616",
        hotline="0389.942.878",
        email="ais@mic.gov.vn",
        note=_CHECK,
        to_verify=True,
    ),
    ContactConfig(
        key="attt-hotline",
        name="Đường dây nóng an toàn thông tin (Cục An toàn thông tin)",
        hotline="0888.133.359",
        email="athttt@mic.gov.vn",
        note=_CHECK,
        to_verify=True,
    ),
)


class EscalationConfig(_Section):
    fallback_contact: str = "vncert"
    """The last word always reaches this contact, even when nobody is on duty anywhere."""


DEFACE_WORDS: tuple[str, ...] = ("hacked by", "defaced", "bị hack", "hacked", "owned by")
"""Defaults of a site source's `deface_words` (matched without case or accents)."""


class SourceConfig(_Section):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str = ""
    kind: SourceKind
    url: str = ""
    preset: Literal["", "cisa-kev", "nvd", "strapi", "jsonfeed"] = ""
    interval: Annotated[timedelta, _within("sources.interval")] = timedelta(minutes=15)
    timeout: Annotated[timedelta, _within("sources.timeout")] = timedelta(seconds=20)
    deadline: Annotated[timedelta, _within("sources.deadline")] = timedelta(seconds=60)
    """Whole-poll limit: a server dripping bytes is cut off here."""
    max_bytes: int = Field(default=10_000_000, ge=1024, le=1_000_000_000)
    enabled: bool = True
    severity: Severity = Severity.MEDIUM
    """Severity when neither the item nor its words say."""
    stale_after: Annotated[timedelta, _within("sources.stale_after")] = timedelta(days=8)
    """No new item for this long: the source is stale (weekly publishers need > 7 days)."""
    fail_alert_after: Annotated[timedelta, _within("sources.fail_alert_after")] = timedelta(hours=1)
    """Failing for this long raises an alert of its own."""
    mapping: dict[str, str] = Field(default_factory=dict)
    """json: dotted paths per field; html: CSS selectors (item, title, link, date, summary)."""
    # kind site: one of our own websites (watchdesk/services/sites.py)
    ca_file: str = ""
    """PEM file of a private CA (or the site's self-signed certificate) to trust besides the system's."""
    down_after: int = Field(default=3, ge=1, le=100)
    """Failed checks in a row before the site's downtime alert."""
    change_share: float = Field(default=0.5, gt=0, le=1)
    """Share of the baseline's visible text that may change before an alert (0.5 = half)."""
    deface_words: tuple[str, ...] = DEFACE_WORDS
    """Words of a defacement; found on the page but not in the baseline, they raise an alert."""
    max_items: int = Field(default=1000, ge=1, le=50_000)
    """A paged listing (Strapi v4/v5) is read page after page until this many rows (other kinds read the whole body)."""
    to_verify: bool = False
    """Shipped sources not yet confirmed against the live page: shown as 'check!' until the unit clears it."""

    @field_validator("url")
    @classmethod
    def _fetchable(cls, value: str) -> str:
        return _web_address(value, _("a source"), files=True)

    @model_validator(mode="after")
    def _url_needed(self) -> "SourceConfig":
        if self.kind != SourceKind.MANUAL and not self.url:
            raise ValueError(_("source '{key}' of kind '{kind}' needs a 'url'").format(key=self.key, kind=self.kind.value))
        site_only = [name for name in ("ca_file", "down_after", "change_share", "deface_words") if name in self.model_fields_set]
        if site_only and self.kind != SourceKind.SITE:
            raise ValueError(_("source '{key}': '{option}' is only for sources of kind 'site'").format(key=self.key, option=site_only[0]))
        if self.kind == SourceKind.SITE and not self.url.lower().startswith(("http://", "https://")):
            raise ValueError(_("source '{key}' of kind 'site' needs an http:// or https:// 'url'").format(key=self.key))
        return self

    @field_validator("deface_words")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        words = tuple(dict.fromkeys(w for w in (clean_line(v, max_length=100) for v in value) if w))
        if len(words) > 200:
            raise ValueError(_("lists more than 200 words; keep the words a defacement actually shows"))
        return words


MAX_NETWORKS = 10_000
"""`[watch] networks` entries at most (a unit's own address blocks, not the Internet)."""


def _networks(value: Any) -> tuple[Network, ...]:
    """`[watch] networks`: each entry a CIDR string or a table {cidr, name}; one sentence per bad entry."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(_("must be a list of networks like [\"203.0.113.0/24\", { cidr = \"2001:db8:10::/48\", name = \"Cổng dịch vụ công\" }]"))
    if len(value) > MAX_NETWORKS:
        raise ValueError(_("lists {n:,} networks, more than the {most:,} allowed; join adjacent blocks").format(n=len(value), most=MAX_NETWORKS))
    out: list[Network] = []
    first: dict[str, int] = {}
    for n, entry in enumerate(value, 1):
        if isinstance(entry, Network):
            cidr, name = entry.cidr, entry.name
        elif isinstance(entry, str):
            cidr, name = entry, ""
        elif isinstance(entry, dict):
            unknown = sorted(set(entry) - {"cidr", "name"})
            if unknown or not isinstance(entry.get("cidr"), str) or not isinstance(entry.get("name", ""), str):
                raise ValueError(_("entry {n} must be a CIDR string or a table {{ cidr = \"…\", name = \"…\" }}").format(n=n)
                                 + (_("; remove '{key}'").format(key=clean_line(unknown[0], 40)) if unknown else ""))
            cidr, name = entry["cidr"], entry.get("name", "")
        else:
            raise ValueError(_("entry {n} must be a CIDR string or a table {{ cidr = \"…\", name = \"…\" }} (got {short})").format(n=n, short=_short(entry)))
        try:
            normal = parse_network(cidr)
        except ValueError as exc:
            raise ValueError(_("entry {n} ({short}) {exc}").format(n=n, short=_short(cidr), exc=exc)) from None
        if normal in first:
            raise ValueError(_("entries {first} and {n} are both {network}; keep one").format(first=first[normal], n=n, network=normal))
        first[normal] = n
        out.append(Network(normal, clean_line(name, max_length=80)))
    return tuple(out)


class WatchConfig(_Section):
    vendors: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    networks: Annotated[tuple[Network, ...], BeforeValidator(_networks)] = ()
    """Our own address blocks (IPv4 and IPv6): botnet lists are matched against them."""


class RosterConfig(_Section):
    max_on_duty: Annotated[timedelta, _within("roster.max_on_duty")] = timedelta(hours=24)
    checkin_grace: Annotated[timedelta, _within("roster.checkin_grace")] = timedelta(minutes=10)
    night_start: ClockTime = time(22, 0)
    night_end: ClockTime = time(6, 0)


class HandoverConfig(_Section):
    accept_within: Annotated[timedelta, _within("handover.accept_within")] = timedelta(minutes=15)
    # Signing out more than this before the shift ends, or accepting more than this before the
    # incoming shift starts, needs a confirmation (the desk asks; the CLI needs --early).
    early_window: Annotated[timedelta, _within("handover.early_window")] = timedelta(minutes=30)


class AuditConfig(_Section):
    checkpoint_file: str = ""
    """Append-only file of audit heads for this database ('' = one per database in the user state folder)."""


class WebConfig(_Section):
    """`watchdesk web`: the desk served to a browser."""

    host: str = "127.0.0.1"
    """Loopback by default; any other address is reachable beyond this machine and needs a token."""
    port: int = Field(default=8765, ge=0, le=65535)
    token_env: str = ""
    """Name of the environment variable holding the token (password) the browser must give;
    '' = a fresh random token at each start, printed in the URL (loopback only)."""


def split_listen(value: str) -> tuple[str, int]:
    """'HOST:PORT' (an IPv6 host in brackets: '[::1]:8787') -> (host, port), else ValueError."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(_("must be an address and a port like '127.0.0.1:8787' ('[::1]:8787' for IPv6)"))
    if any(c.isspace() or not c.isprintable() for c in host) or (":" in host and not host.startswith("[")):
        raise ValueError(_("must be an address and a port like '127.0.0.1:8787' ('[::1]:8787' for IPv6)"))
    return host.strip("[]"), int(port)


class InboundIntegration(_Section):
    """One monitoring system allowed to post alerts in (`watchdesk serve --listen`)."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=40)
    kind: Literal["alertmanager", "generic"]
    token_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=100)
    """Name of the environment variable holding this integration's bearer token."""


class InboundConfig(_Section):
    """Alerts posted in by the unit's own monitoring (Alertmanager webhook v4, generic JSON)."""

    listen: str = ""
    """'' = off; 'HOST:PORT' to serve with `watchdesk serve` (--listen overrides)."""
    max_body: int = Field(default=1_048_576, ge=1024, le=16_777_216)
    """Largest request body accepted, in bytes (a larger one is answered 413)."""
    integrations: tuple[InboundIntegration, ...] = ()

    @field_validator("listen")
    @classmethod
    def _address(cls, value: str) -> str:
        if value:
            split_listen(value)
        return value.strip()

    @model_validator(mode="after")
    def _unique_keys(self) -> "InboundConfig":
        keys = [i.key for i in self.integrations]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(_("[[inbound.integrations]] key '{key}' is used twice; give each integration its own key").format(key=dupes[0]))
        return self


class Config(_Section):
    desk: DeskConfig = DeskConfig()
    database: DatabaseConfig = DatabaseConfig()
    engine: EngineConfig = EngineConfig()
    severities: dict[Severity, SeverityConfig] = Field(default_factory=_default_severities)
    policies: dict[Severity, PolicyConfig] = Field(default_factory=_default_policies)
    alerts: AlertsConfig = AlertsConfig()
    escalation: EscalationConfig = EscalationConfig()
    channels: dict[str, ChannelConfig] = Field(default_factory=_default_channels)
    contacts: tuple[ContactConfig, ...] = DEFAULT_CONTACTS
    sources: tuple[SourceConfig, ...] = ()
    watch: WatchConfig = WatchConfig()
    roster: RosterConfig = RosterConfig()
    handover: HandoverConfig = HandoverConfig()
    audit: AuditConfig = AuditConfig()
    web: WebConfig = WebConfig()
    inbound: InboundConfig = InboundConfig()

    source_path: str = Field(default="", exclude=True)
    """The file this config came from ('' for the built-in defaults)."""

    @field_validator("severities", "policies", mode="before")
    @classmethod
    def _merge_defaults(cls, value: Any, info: Any) -> Any:
        # A file that sets only `critical` keeps the defaults of the other severities.
        if not isinstance(value, dict):
            return value
        defaults = _default_severities() if info.field_name == "severities" else _default_policies()
        merged: dict[Any, Any] = {k.value: v for k, v in defaults.items()}
        merged.update(value)
        return merged

    @field_validator("channels", mode="before")
    @classmethod
    def _keep_builtin_channels(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        merged: dict[str, Any] = dict(_default_channels())
        merged.update(value)
        return merged

    @model_validator(mode="after")
    def _cross_checks(self) -> "Config":
        keys = [s.key for s in self.sources]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(_("source key '{key}' is used twice; each source needs its own key").format(key=dupes[0]))
        first_of: dict[str, int] = {}
        for n, contact in enumerate(self.contacts, 1):
            if contact.key in first_of:
                m = first_of[contact.key]
                raise ValueError(_(
                    "[[contacts]] entries {m} ('{first}') and {n} ('{second}') both have key '{key}'; give each contact its own key"
                ).format(m=m, first=clean_line(self.contacts[m - 1].name)[:60], n=n, second=clean_line(contact.name)[:60], key=contact.key))
            first_of[contact.key] = n
        contact_keys = set(first_of)
        if self.escalation.fallback_contact not in contact_keys:
            raise ValueError(_("escalation.fallback_contact '{key}' is not one of the contacts ({known})").format(
                key=self.escalation.fallback_contact, known=", ".join(sorted(contact_keys)) or _("none defined")))
        for sev, policy in self.policies.items():
            for n, step in enumerate(policy.steps, 1):
                for name in step.channels:
                    if name not in self.channels:
                        raise ValueError(_(
                            "policies.{severity}.steps[{n}] uses channel '{name}', which is not defined under [channels] ({known})"
                        ).format(severity=sev.value, n=n, name=name, known=", ".join(sorted(self.channels))))
                for key in step.contacts:
                    if key not in contact_keys:
                        raise ValueError(_(
                            "policies.{severity}.steps[{n}] names contact '{key}', which is not defined under [[contacts]] ({known})"
                        ).format(severity=sev.value, n=n, key=key, known=", ".join(sorted(contact_keys))))
        return self

    def source(self, key: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.key == key), None)

    def contact(self, key: str) -> ContactConfig | None:
        return next((c for c in self.contacts if c.key == key), None)

    def ack_target(self, severity: Severity | str) -> timedelta:
        return self.severities[Severity(severity)].ack_target


def _key_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item + 1}]")
        elif str(item).startswith(("function-", "literal[", "is-instance[")):
            continue
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _sentence(error: dict[str, Any], where: str) -> str:
    key = _key_path(tuple(error.get("loc", ())))
    kind = error.get("type", "")
    msg = str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return _("{where}: unknown key '{key}'; remove it or check its spelling against config.example.toml.").format(where=where, key=key)
    if kind == "missing":
        return _("{where}: key '{key}' is required but missing.").format(where=where, key=key)
    given = error.get("input")
    shown = "" if isinstance(given, (dict, list)) else " " + _("(got {value})").format(value=_short(given))
    if key.endswith(".[key]"):
        return _("{where}: key '{key}' is not allowed here; use {allowed}.").format(where=where, key=key[:-6], allowed=_allowed(msg))
    if kind == "value_error":
        if key == "(top level)":
            return f"{where}: {msg}."
        # Our own sentence tails start with 'must' (in the reader's language): they follow the key.
        if msg.startswith(("must", _("must"))):
            return _("{where}: key '{key}' {problem}{shown}.").format(where=where, key=key, problem=msg, shown=shown)
        return _("{where}: key '{key}': {problem}.").format(where=where, key=key, problem=msg)
    return _("{where}: key '{key}' must be {allowed}{shown}.").format(where=where, key=key, allowed=_allowed(msg), shown=shown)


def _short(value: Any) -> str:
    """The value as the sentence quotes it: repr (control characters escaped), at most 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _allowed(msg: str) -> str:
    msg = msg.rstrip(".")
    for prefix in ("Input should be ", "Value should be "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    if msg.startswith("String should match pattern"):
        return "lower-case letters, digits, '-', '_' (and '.' for sources)"
    return msg[:1].lower() + msg[1:]


def parse_config(data: dict[str, Any], where: str = DEFAULTS_WHERE) -> Config:
    """Validate a dict (a parsed TOML file) or raise ConfigError with one sentence."""
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_sentence(exc.errors()[0], where)) from None
    return config.model_copy(update={"source_path": where})


def load_config(explicit: str | Path | None = None) -> Config:
    """Find and read the config file, or return the built-in defaults when there is none."""
    return config_of(*load_toml(explicit))


def config_of(data: dict[str, Any], where: str) -> Config:
    """The validated config of a file's TOML (`load_toml`'s answer)."""
    return Config() if where == DEFAULTS_WHERE else parse_config(data, where)
