"""Officers and identity: add, import, list, PIN, OS-account binding, sign-in and its back-off.

Who may claim to be whom (README, "What protects what"): leads and supervisors have a PIN (only
the throwaway demo desk may do without); an officer bound to an OS account needs no PIN from
that account's CLI; wrong PINs lock the officer for a time that doubles, kept in the database so
every process and the desk share it; every wrong PIN and every lock is an audit event.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from watchdesk.core.enums import Role
from watchdesk.core.permissions import Action, a_role, require
from watchdesk.core.records import SYSTEM_ACTOR, Actor, OfficerRecord
from watchdesk.core.text import clean_line
from watchdesk.core.limits import LimitError, csv_rows
from watchdesk.services.errors import InvalidInput, NotFound, PermissionDenied, Refused
from watchdesk.i18n import _
from watchdesk.services.limits import person_text
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import append_event
from watchdesk.store.models import Officer, Setting
from watchdesk.store.queries import officers as q

# argon2id, the library's defaults (RFC 9106 low-memory profile): slow enough for a PIN on a
# stolen database file to cost real time per guess.
_HASHER = PasswordHasher()
_HANDLE_OK = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
PIN_MIN_DIGITS = 6
_PIN_OK = re.compile(r"[0-9]{6,32}")
_OS_USER_OK = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._@$-]{0,63}")
# Wrong PINs: two typos are free, then the wait doubles from 5 s up to 5 minutes. A 6-digit PIN
# then takes years to guess through watchdesk; a stolen file is argon2's job.
FREE_FAILURES = 2
FIRST_WAIT_S = 5
MAX_WAIT_S = 300
NEEDS_PIN = (Role.LEAD, Role.SUPERVISOR)


def to_record(row: Officer) -> OfficerRecord:
    return OfficerRecord(
        id=row.id or 0,
        handle=row.handle,
        full_name=row.full_name,
        role=Role(row.role),
        phone=row.phone,
        email=row.email,
        chat_ids=json.loads(row.chat_ids or "{}"),
        has_pin=bool(row.pin_hash),
        active=row.active,
        os_user=row.os_user,
        pin_failures=row.pin_failures,
        locked_until=row.pin_locked_until,
    )


def backoff_seconds(failures: int) -> int:
    """How long no PIN is tried after `failures` wrong ones in a row."""
    if failures <= FREE_FAILURES:
        return 0
    return min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** min(failures - FREE_FAILURES - 1, 16))


def is_demo(rt: Runtime) -> bool:
    """The throwaway demo desk, where officers may have no PIN (said on its sign-in screen)."""
    with rt.db.read() as session:
        row = session.get(Setting, "identity")
    return row is not None and row.value == "demo"


def _valid_pin(pin: str) -> str:
    if not _PIN_OK.fullmatch(pin):
        raise InvalidInput(_("a PIN is {digits} to 32 digits (0-9 only); choose another.").format(digits=PIN_MIN_DIGITS))
    return pin


def _valid_os_user(name: str) -> str:
    name = name.strip()
    if name and not _OS_USER_OK.fullmatch(name):
        raise InvalidInput(_("OS user '{name}' is not an account name; use the login name (letters, digits, '.', '_', '-').").format(name=clean_line(name)))
    return name


def _valid_handle(handle: str) -> str:
    handle = clean_line(handle).lower()
    if not handle or not set(handle) <= _HANDLE_OK or len(handle) > 32:
        raise InvalidInput(
            f"handle '{handle}' is not allowed; use 1-32 lower-case letters, digits, '.', '_' or '-'."
        )
    return handle


def _valid_role(role: str) -> Role:
    try:
        return Role(clean_line(role).lower())
    except ValueError:
        raise InvalidInput(_("role '{role}' is not allowed; use officer, lead or supervisor.").format(role=role)) from None


def add_officer(
    rt: Runtime,
    actor: Actor,
    handle: str,
    full_name: str,
    role: str = "officer",
    phone: str = "",
    email: str = "",
    chat_ids: dict[str, str] | None = None,
    pin: str = "",
    os_user: str = "",
) -> OfficerRecord:
    """A new officer; leads and supervisors come with a PIN (but on the demo desk)."""
    require(actor.handle, actor.role, Action.EDIT_OFFICERS)
    handle = _valid_handle(handle)
    name = person_text(full_name, 120, "the full name", multiline=False)
    if not name:
        raise InvalidInput(_("officer '{handle}' needs a full name.").format(handle=handle))
    the_role = _valid_role(role)
    if pin:
        _valid_pin(pin)
    elif the_role in NEEDS_PIN and not is_demo(rt):
        raise InvalidInput(_("'{handle}' would be {role}; leads and supervisors need a PIN of at least {digits} digits.").format(handle=handle, role=a_role(the_role), digits=PIN_MIN_DIGITS))
    row = Officer(
        handle=handle,
        full_name=name,
        role=the_role.value,
        os_user=_valid_os_user(os_user),
        phone=person_text(phone, 40, "the phone number", multiline=False),
        email=person_text(email, 120, "the e-mail address", multiline=False),
        chat_ids=json.dumps({clean_line(k): clean_line(v) for k, v in (chat_ids or {}).items()}, sort_keys=True),
        pin_hash=_HASHER.hash(pin) if pin else "",
        created_at=rt.now(),
    )
    with rt.db.write() as session:
        if q.officer_by_handle(session, handle):
            raise Refused(_("an officer with handle '{handle}' already exists.").format(handle=handle))
        session.add(row)
        session.flush()
        append_event(
            session, rt.now(), actor.handle, "officer.added", "officer", row.id,
            {"handle": handle, "full_name": name, "role": row.role, "has_pin": bool(pin), "os_user": row.os_user},
        )
    return to_record(row)


def import_officers_csv(rt: Runtime, actor: Actor, path: Path) -> list[OfficerRecord]:
    """CSV `handle,name,role,phone,email` (header optional, UTF-8 with or without BOM).

    All or nothing: a bad line stops the import, names the line and nothing is written.
    PINs are never in a file: imported leads and supervisors cannot sign in until a supervisor
    sets their PIN ('watchdesk officer pin HANDLE').
    """
    require(actor.handle, actor.role, Action.EDIT_OFFICERS)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(_("{path}: cannot read the file ({strerror}).").format(path=path, strerror=exc.strerror)) from None
    except UnicodeDecodeError:
        raise InvalidInput(_("{path}: the file is not UTF-8; save the spreadsheet as 'CSV UTF-8'.").format(path=path)) from None
    rows: list[Officer] = []
    seen: set[str] = set()
    try:
        lines = list(csv_rows(text))
    except LimitError as exc:
        raise InvalidInput(_("{path}, {exc}.").format(path=path, exc=exc)) from None
    for lineno, cells in lines:
        if not any(c.strip() for c in cells):
            continue
        if lineno == 1 and cells and cells[0].strip().lower() == "handle":
            continue
        if len(cells) < 3 or len(cells) > 5:
            raise InvalidInput(_("{path}, line {lineno}: expected handle,name,role[,phone[,email]], found {n} columns.").format(path=path, lineno=lineno, n=len(cells)))
        cells += [""] * (5 - len(cells))
        try:
            handle = _valid_handle(cells[0])
            role = _valid_role(cells[2])
        except InvalidInput as exc:
            raise InvalidInput(_("{path}, line {lineno}: {exc}").format(path=path, lineno=lineno, exc=exc)) from None
        try:
            name = person_text(cells[1], 120, "the full name", multiline=False)
            phone = person_text(cells[3], 40, "the phone number", multiline=False)
            email = person_text(cells[4], 120, "the e-mail address", multiline=False)
        except InvalidInput as exc:
            raise InvalidInput(_("{path}, line {lineno}: {exc}").format(path=path, lineno=lineno, exc=exc)) from None
        if not name:
            raise InvalidInput(_("{path}, line {lineno}, column name: the full name is empty.").format(path=path, lineno=lineno))
        if handle in seen:
            raise InvalidInput(_("{path}, line {lineno}: handle '{handle}' appears twice in the file.").format(path=path, lineno=lineno, handle=handle))
        seen.add(handle)
        rows.append(Officer(
            handle=handle, full_name=name, role=role.value,
            phone=phone, email=email,
            created_at=rt.now(),
        ))
    with rt.db.write() as session:
        existing = q.existing_handles(session, seen)
        if existing:
            raise Refused(_("{path}: officer '{handle}' already exists; nothing was imported.").format(path=path, handle=sorted(existing)[0]))
        for row in rows:
            session.add(row)
        session.flush()
        for row in rows:
            append_event(
                session, rt.now(), actor.handle, "officer.added", "officer", row.id,
                {"handle": row.handle, "full_name": row.full_name, "role": row.role, "has_pin": False, "via": path.name},
            )
    return [to_record(r) for r in rows]


def list_officers(rt: Runtime, include_inactive: bool = True) -> list[OfficerRecord]:
    with rt.db.read() as session:
        return [to_record(r) for r in q.officers(session, active_only=not include_inactive)]


def get_officer(rt: Runtime, handle: str) -> OfficerRecord:
    with rt.db.read() as session:
        row = q.officer_by_handle(session, handle.strip().lower())
    if row is None:
        raise NotFound(_("no officer with handle '{handle}'; see 'watchdesk officer list'.").format(handle=handle))
    return to_record(row)


def set_pin(rt: Runtime, actor: Actor, handle: str, pin: str) -> None:
    """Set (or, for officers, clear) a PIN. One's own needs proof (the PIN, the OS account); anyone
    else's needs a supervisor who proved who they are. A new PIN also lifts a back-off."""
    target = get_officer(rt, handle)
    demo = is_demo(rt)
    own = actor.handle == target.handle
    if not (own and actor.proof in ("pin", "os-user", "demo", "first-pin")):
        require(actor.handle, actor.role, Action.EDIT_OFFICERS)
        if actor.proof not in ("pin", "os-user", "demo"):
            raise PermissionDenied(
                f"{actor.handle} has not proved who they are (no PIN, no bound OS account); "
                f"setting {'their own' if own else 'another officer’s'} PIN needs that, or a supervisor who has."
            )
    if pin:
        _valid_pin(pin)
    elif target.role in NEEDS_PIN and not demo:
        raise InvalidInput(_("'{handle}' is {role}; leads and supervisors keep a PIN (set a new one instead).").format(handle=target.handle, role=a_role(target.role)))
    with rt.db.write() as session:
        row = session.get(Officer, target.id)
        assert row is not None
        row.pin_hash = _HASHER.hash(pin) if pin else ""
        row.pin_failures, row.pin_locked_until = 0, None
        session.add(row)
        append_event(session, rt.now(), actor.handle, "officer.pin_set", "officer", row.id, {"handle": row.handle, "cleared": not pin})


def set_os_user(rt: Runtime, actor: Actor, handle: str, os_user: str) -> OfficerRecord:
    """Bind an officer to an OS account ('' unbinds): that account's CLI may act as them without the PIN."""
    require(actor.handle, actor.role, Action.EDIT_OFFICERS)
    target = get_officer(rt, handle)
    name = _valid_os_user(os_user)
    with rt.db.write() as session:
        row = session.get(Officer, target.id)
        assert row is not None
        before, row.os_user = row.os_user, name
        session.add(row)
        append_event(session, rt.now(), actor.handle, "officer.os_user_set", "officer", row.id,
                     {"handle": row.handle, "os_user": name, "was": before})
    return to_record(row)


def unlock(rt: Runtime, actor: Actor, handle: str) -> OfficerRecord:
    """A supervisor lifts an officer's PIN back-off (after checking who was trying)."""
    require(actor.handle, actor.role, Action.EDIT_OFFICERS)
    target = get_officer(rt, handle)
    with rt.db.write() as session:
        row = session.get(Officer, target.id)
        assert row is not None
        failures = row.pin_failures
        row.pin_failures, row.pin_locked_until = 0, None
        session.add(row)
        append_event(session, rt.now(), actor.handle, "officer.unlocked", "officer", row.id,
                     {"handle": row.handle, "failures": failures})
    return to_record(row)


def set_active(rt: Runtime, actor: Actor, handle: str, active: bool) -> None:
    require(actor.handle, actor.role, Action.EDIT_OFFICERS)
    target = get_officer(rt, handle)
    with rt.db.write() as session:
        row = session.get(Officer, target.id)
        assert row is not None
        row.active = active
        session.add(row)
        append_event(session, rt.now(), actor.handle, "officer.activated" if active else "officer.deactivated", "officer", row.id, {"handle": row.handle})


def sign_in(rt: Runtime, handle: str, pin: str | None, *, os_user: str = "", first_pin: bool = False, where: str = "") -> Actor:
    """The operator at this terminal, or the officer a CLI command acts as.

    `os_user` is the OS account running this process, when the caller can vouch for it (the
    CLI; never the desk): an officer bound to that account needs no PIN. An officer with a PIN
    must give it, through the back-off. Leads and supervisors without a PIN are refused (not on
    the demo desk); `first_pin` lets one set their own first PIN on a desk where no supervisor
    has a PIN or an OS account yet (a database from before PINs were required). `where` goes
    into the audit events of wrong PINs ('cli, OS account lan', 'desk').
    """
    if handle.strip().lower() == SYSTEM_ACTOR.handle:
        raise PermissionDenied(_("'system' is the desk itself; sign in as an officer."))
    with rt.db.read() as session:
        row = q.officer_by_handle(session, handle.strip().lower())
        demo = (setting := session.get(Setting, "identity")) is not None and setting.value == "demo"
        anyone_proven = first_pin and q.proven_supervisor_exists(session)
    if row is None:
        raise NotFound(_("no officer with handle '{handle}'; see 'watchdesk officer list'.").format(handle=handle))
    if not row.active:
        raise PermissionDenied(_("officer '{handle}' is inactive; a supervisor can reactivate them.").format(handle=row.handle))

    def actor(proof: str) -> Actor:
        return Actor(handle=row.handle, role=Role(row.role), officer_id=row.id, full_name=row.full_name, proof=proof)

    if os_user and row.os_user and os_user == row.os_user:
        return actor("os-user")
    if row.pin_hash:
        return actor(_check_pin(rt, row.id, pin, where))  # type: ignore[arg-type]
    if demo:
        return actor("demo")
    if row.os_user:
        raise PermissionDenied(f"officer '{row.handle}' is bound to the OS account '{row.os_user}' and has no PIN; "
                               "act as them from that account, or have a supervisor set their PIN.")
    if Role(row.role) in NEEDS_PIN:
        if first_pin and not anyone_proven:
            return actor("first-pin")
        raise PermissionDenied(f"'{row.handle}' is a {row.role} without a PIN, and leads and supervisors need one; "
                               f"a supervisor sets it with 'watchdesk officer pin {row.handle} --as HANDLE'.")
    return actor("none")


def _check_pin(rt: Runtime, officer_id: int, pin: str | None, where: str) -> str:
    """'pin' when `pin` is right and the officer is not backing off; else PermissionDenied.

    Every try is counted as wrong, with the back-off that would earn, in a short write
    transaction before the slow argon2 check, which then holds no database lock; a right PIN
    takes the count back. So tries side by side (other processes, the desk) meet each other's
    back-off at once, and guessing in parallel gains nothing."""
    now = rt.now()
    anchors = rt.db.anchors
    if anchors is not None and anchors.mark.exists():
        return _check_pin_unrecorded(rt, officer_id, pin, now)
    refusal = ""
    with rt.db.write() as session:
        row = session.get(Officer, officer_id)
        assert row is not None
        handle, pin_hash, counted = row.handle, row.pin_hash, row.pin_failures + 1
        base = {"handle": handle, "where": clean_line(where, max_length=120)}
        if row.pin_locked_until is not None and row.pin_locked_until > now:
            refusal = _locked_sentence(handle, row.pin_failures, row.pin_locked_until, now)
            if pin:  # a try while locked is not checked, but it is recorded
                append_event(session, now, SYSTEM_ACTOR.handle, "officer.pin_failed", "officer", row.id,
                             {**base, "failures": row.pin_failures, "locked": True})
        elif not pin:
            refusal = f"officer '{handle}' has a PIN; give it (or set $WATCHDESK_PIN)."
        else:
            wait = backoff_seconds(counted)
            row.pin_failures = counted
            if wait:
                row.pin_locked_until = now + timedelta(seconds=wait)
            session.add(row)
    if refusal:
        raise PermissionDenied(refusal)
    right = _verified(pin_hash, pin)  # type: ignore[arg-type]
    with rt.db.write() as session:
        row = session.get(Officer, officer_id)
        assert row is not None
        if right:
            if row.pin_failures > 1:  # wrong PINs before this one (or beside it)
                append_event(session, now, SYSTEM_ACTOR.handle, "officer.pin_accepted", "officer", row.id,
                             {**base, "after_failures": row.pin_failures - 1})
            row.pin_failures, row.pin_locked_until = 0, None
            session.add(row)
        else:
            append_event(session, now, SYSTEM_ACTOR.handle, "officer.pin_failed", "officer", row.id,
                         {**base, "failures": counted, "locked": False})
            if wait:
                append_event(session, now, SYSTEM_ACTOR.handle, "officer.pin_backoff", "officer", row.id,
                             {"handle": handle, "failures": counted, "seconds": wait})
    if right:
        return "pin"
    if not wait:
        raise PermissionDenied(_("wrong PIN for '{handle}'.").format(handle=handle))
    raise PermissionDenied(_("wrong PIN for '{handle}'; {locked}").format(
        handle=handle, locked=_locked_sentence(handle, counted, now + timedelta(seconds=wait), now)))


def _check_pin_unrecorded(rt: Runtime, officer_id: int, pin: str | None, now: datetime) -> str:
    """The PIN on a database whose writes are stopped after damage: nothing can be counted there,
    so the back-off already running is honoured and the PIN checked, so that a supervisor can
    still run 'watchdesk db resume'."""
    with rt.db.read() as session:
        row = session.get(Officer, officer_id)
    assert row is not None
    if row.pin_locked_until is not None and row.pin_locked_until > now:
        raise PermissionDenied(_locked_sentence(row.handle, row.pin_failures, row.pin_locked_until, now))
    if not pin:
        raise PermissionDenied(_("officer '{handle}' has a PIN; give it (or set $WATCHDESK_PIN).").format(handle=row.handle))
    if not _verified(row.pin_hash, pin):
        raise PermissionDenied(_("wrong PIN for '{handle}' (not counted: the database takes no writes while it is stopped after damage).").format(handle=row.handle))
    return "pin"


def _verified(pin_hash: str, pin: str) -> bool:
    try:
        return _HASHER.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def _locked_sentence(handle: str, failures: int, until: datetime, now: datetime) -> str:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return _("'{handle}' is locked for {seconds} s more after {failures} wrong PINs; "
             "a supervisor can lift it with 'watchdesk officer unlock {handle}'.").format(handle=handle, seconds=seconds, failures=failures)


def bootstrap_supervisor(rt: Runtime, handle: str, full_name: str, pin: str = "", *, os_user: str = "", demo: bool = False) -> OfficerRecord:
    """The first officer of an empty desk (a supervisor, with a PIN), added by the system.

    `demo` marks the desk as the throwaway demo (officers there may have no PIN); only an empty
    desk can become one, so a real desk is never turned into a demo afterwards."""
    with rt.db.read() as session:
        if q.any_officer(session):
            raise Refused(_("the desk already has officers; a supervisor adds the others with 'watchdesk officer add'."))
    if demo:
        with rt.db.write() as session:
            if session.get(Setting, "identity") is None:
                session.add(Setting(key="identity", value="demo"))
                append_event(session, rt.now(), SYSTEM_ACTOR.handle, "desk.demo", "", "",
                             {"note": "a throwaway demo desk: officers may have no PIN"})
    return add_officer(rt, SYSTEM_ACTOR, handle, full_name, role="supervisor", pin=pin, os_user=os_user)
