"""What every subcommand shares: the runtime, the actor, output as text or --json, errors.

Everything a command prints goes through `echo` (text: the terminal filter the desk draws
through too) or `emit_json` (JSON with controls, bidi and zero-width characters as \\uXXXX):
a feed's text must never give the operator's terminal an order."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import click

from watchdesk.config_file import ConfigError
from watchdesk.core.records import Actor
from watchdesk.i18n import _
from watchdesk.services.errors import PermissionDenied, ServiceError

F = TypeVar("F", bound=Callable[..., Any])


def person_errors() -> tuple[type[Exception], ...]:
    """The errors a person can meet, as one sentence each. The store's own (DatabaseError,
    SchemaTooNew) are counted only once the store is imported: none can be raised before, and
    plain `watchdesk` must not import SQLAlchemy before the desk's first frame."""
    kinds: list[type[Exception]] = [ConfigError, ServiceError, PermissionDenied]
    for module, name in (("watchdesk.store.db", "DatabaseError"), ("watchdesk.store.migrations", "SchemaTooNew")):
        loaded = sys.modules.get(module)
        if loaded is not None and hasattr(loaded, name):
            kinds.append(getattr(loaded, name))
    return tuple(kinds)


class State:
    """The root options, and the runtime opened lazily on first use."""

    def __init__(self, config_path: str | None, db_path: str | None, lang: str = "") -> None:
        self.config_path = config_path
        self.db_path = db_path
        self.lang = lang  # --lang; '' = the config's [desk] language, else the system's
        self._runtime: Any = None

    @property
    def runtime(self):  # noqa: ANN201 - Runtime, imported lazily to keep --help fast
        if self._runtime is None:
            self.open_runtime()
        return self._runtime

    def open_runtime(self, config: Any = None, clock: Any = None):  # noqa: ANN201 - Runtime
        """Open the database (importing the store) on `config` (else the config file); the desk
        calls this from its opening worker, after its first frame."""
        from watchdesk.services.runtime import open_runtime

        self._runtime = open_runtime(config, config_path=self.config_path, db_path=self.db_path, clock=clock)
        return self._runtime

    def config(self):  # noqa: ANN201
        if self._runtime is not None:
            return self._runtime.config
        from watchdesk.config import load_config

        return load_config(self.config_path)


pass_state = click.make_pass_decorator(State)


def choose_language(state: State) -> str:
    """Set the catalog the way the desk does: --lang, else [desk] language, else the locale.

    The config file is only read here (stdlib TOML, no validation); a missing or broken file is
    left for the command to report in its own sentence."""
    from watchdesk.config_file import LANGUAGES, ConfigError, load_toml
    from watchdesk.i18n import set_language

    language = state.lang
    if not language:
        try:
            data, _where = load_toml(state.config_path)
        except ConfigError:
            data = {}
        desk = data.get("desk")
        chosen = desk.get("language", "") if isinstance(desk, dict) else ""
        language = chosen if chosen in LANGUAGES else ""
    return set_language(language)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (stable field names) instead of text.")(func)


def actor_option(func: F) -> F:
    """`--as HANDLE`: who does the action (no PIN from their own bound OS account; else the PIN
    from $WATCHDESK_PIN or asked on the terminal)."""

    return click.option(
        "--as", "as_handle", metavar="HANDLE", envvar="WATCHDESK_AS", required=True,
        help="The officer doing this (from their own bound OS account no PIN; else $WATCHDESK_PIN, else asked).",
    )(func)


def os_account() -> str:
    """The login name of the OS account running this process, from its real user id ('' unknown).

    Not getpass.getuser(): that believes $USER and $LOGNAME, which anyone can set. Where there is
    no pwd module (Windows) no account is vouched for, so the PIN is asked."""
    try:
        import pwd
    except ImportError:
        return ""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return ""


def resolve_actor(state: State, handle: str, *, first_pin: bool = False) -> Actor:
    """The officer a command acts as: their bound OS account, or their PIN, or (officers with
    neither) their handle; the service refuses leads and supervisors without a PIN."""
    from watchdesk.services.officers import get_officer, sign_in

    officer = get_officer(state.runtime, handle)
    account = os_account()
    pin = None
    if officer.has_pin and not (officer.os_user and officer.os_user == account):
        pin = os.environ.get("WATCHDESK_PIN")
        if pin is None:
            if not sys.stdin.isatty():
                raise PermissionDenied(_("officer '{handle}' has a PIN; set $WATCHDESK_PIN or run on a terminal.").format(handle=officer.handle))
            pin = click.prompt(f"PIN for {officer.handle}", hide_input=True)
    return sign_in(state.runtime, handle, pin, os_user=account, first_pin=first_pin,
                   where=f"cli, OS account {account or 'unknown'}")


def new_pin_option(func: F) -> F:
    """`--pin` for a new PIN (else $WATCHDESK_NEW_PIN, else asked twice on a terminal)."""
    return click.option(
        "--pin", "new_pin", metavar="DIGITS", envvar="WATCHDESK_NEW_PIN", default=None,
        help="The new PIN, at least 6 digits (else $WATCHDESK_NEW_PIN, else asked twice; "
             "on the command line it shows in the process list, so prefer those).",
    )(func)


def ask_new_pin(given: str | None, who: str, *, required: bool) -> str:
    """The new PIN from --pin/$WATCHDESK_NEW_PIN, else asked twice (a terminal or piped lines);
    '' when none is given and none is required (nothing is asked then)."""
    if given is not None:
        return given
    if not required:
        return ""
    try:
        return click.prompt(f"New PIN for {who} (at least 6 digits)", hide_input=True, confirmation_prompt=True)
    except click.Abort:
        raise ServiceError(_("{who} needs a PIN of at least 6 digits; give --pin or set $WATCHDESK_NEW_PIN.").format(who=who)) from None


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "total_seconds"):
        return value.total_seconds()
    return value


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """Print text through the one output filter (watchdesk.core.text.terminal_safe)."""
    from watchdesk.core.text import terminal_safe

    click.echo(terminal_safe(str(message), newlines=True), err=err, nl=nl)


def json_text(value: Any) -> str:
    """JSON for stdout: stable, readable, and nothing in it a terminal acts on."""
    from watchdesk.core.text import json_safe

    return json_safe(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def emit_json(value: Any) -> None:
    click.echo(json_text(value))


def table(rows: Iterable[Iterable[Any]], headers: Iterable[str]) -> str:
    """A plain aligned text table (no markup: cells may hold untrusted text, already cleaned)."""
    from watchdesk.core.text import terminal_safe

    # Filtered before measuring, so a cell's controls do not widen its column.
    rows = [[("" if c is None else terminal_safe(str(c), newlines=True)) for c in r] for r in rows]
    headers = list(headers)
    widths = [len(h) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    line = lambda cells: "  ".join(c.ljust(widths[i]) for i, c in enumerate(cells)).rstrip()  # noqa: E731
    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def local_text(state: State, when: datetime | None) -> str:
    if when is None:
        return "-"
    return when.astimezone(state.runtime.zone).strftime("%Y-%m-%d %H:%M")

