"""Officers and identity: add, import, list, PIN, sign-in."""

from __future__ import annotations

import json
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import select

from watchdesk.core.enums import Role
from watchdesk.core.permissions import Action, require
from watchdesk.core.records import SYSTEM_ACTOR, Actor, OfficerRecord
from watchdesk.core.text import clean_line
from watchdesk.core.limits import LimitError, csv_rows
from watchdesk.services.errors import InvalidInput, NotFound, PermissionDenied, Refused
from watchdesk.services.limits import person_text
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import append_event
from watchdesk.store.models import Officer

# argon2id, the library's defaults (RFC 9106 low-memory profile): slow enough for a 4-digit
# PIN on a stolen database file to cost real time per guess.
_HASHER = PasswordHasher()
_HANDLE_OK = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


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
    )


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
        raise InvalidInput(f"role '{role}' is not allowed; use officer, lead or supervisor.") from None


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
) -> OfficerRecord:
    require(actor.handle, actor.role, Action.EDIT_OFFICERS)
    handle = _valid_handle(handle)
    name = person_text(full_name, 120, "the full name", multiline=False)
    if not name:
        raise InvalidInput(f"officer '{handle}' needs a full name.")
    row = Officer(
        handle=handle,
        full_name=name,
        role=_valid_role(role).value,
        phone=person_text(phone, 40, "the phone number", multiline=False),
        email=person_text(email, 120, "the e-mail address", multiline=False),
        chat_ids=json.dumps({clean_line(k): clean_line(v) for k, v in (chat_ids or {}).items()}, sort_keys=True),
        pin_hash=_HASHER.hash(pin) if pin else "",
        created_at=rt.now(),
    )
    with rt.db.write() as session:
        if session.exec(select(Officer).where(Officer.handle == handle)).first():
            raise Refused(f"an officer with handle '{handle}' already exists.")
        session.add(row)
        session.flush()
        append_event(
            session, rt.now(), actor.handle, "officer.added", "officer", row.id,
            {"handle": handle, "full_name": name, "role": row.role, "has_pin": bool(pin)},
        )
    return to_record(row)


def import_officers_csv(rt: Runtime, actor: Actor, path: Path) -> list[OfficerRecord]:
    """CSV `handle,name,role,phone,email` (header optional, UTF-8 with or without BOM).

    All or nothing: a bad line stops the import, names the line and nothing is written.
    """
    require(actor.handle, actor.role, Action.EDIT_OFFICERS)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc.strerror}).") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: the file is not UTF-8; save the spreadsheet as 'CSV UTF-8'.") from None
    rows: list[Officer] = []
    seen: set[str] = set()
    try:
        lines = list(csv_rows(text))
    except LimitError as exc:
        raise InvalidInput(f"{path}, {exc}.") from None
    for lineno, cells in lines:
        if not any(c.strip() for c in cells):
            continue
        if lineno == 1 and cells and cells[0].strip().lower() == "handle":
            continue
        if len(cells) < 3 or len(cells) > 5:
            raise InvalidInput(f"{path}, line {lineno}: expected handle,name,role[,phone[,email]], found {len(cells)} columns.")
        cells += [""] * (5 - len(cells))
        try:
            handle = _valid_handle(cells[0])
            role = _valid_role(cells[2])
        except InvalidInput as exc:
            raise InvalidInput(f"{path}, line {lineno}: {exc}") from None
        try:
            name = person_text(cells[1], 120, "the full name", multiline=False)
            phone = person_text(cells[3], 40, "the phone number", multiline=False)
            email = person_text(cells[4], 120, "the e-mail address", multiline=False)
        except InvalidInput as exc:
            raise InvalidInput(f"{path}, line {lineno}: {exc}") from None
        if not name:
            raise InvalidInput(f"{path}, line {lineno}, column name: the full name is empty.")
        if handle in seen:
            raise InvalidInput(f"{path}, line {lineno}: handle '{handle}' appears twice in the file.")
        seen.add(handle)
        rows.append(Officer(
            handle=handle, full_name=name, role=role.value,
            phone=phone, email=email,
            created_at=rt.now(),
        ))
    with rt.db.write() as session:
        existing = set(session.exec(select(Officer.handle).where(Officer.handle.in_(seen))).all())  # type: ignore[attr-defined]
        if existing:
            raise Refused(f"{path}: officer '{sorted(existing)[0]}' already exists; nothing was imported.")
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
        query = select(Officer).order_by(Officer.handle)
        if not include_inactive:
            query = query.where(Officer.active == True)  # noqa: E712
        return [to_record(r) for r in session.exec(query).all()]


def get_officer(rt: Runtime, handle: str) -> OfficerRecord:
    with rt.db.read() as session:
        row = session.exec(select(Officer).where(Officer.handle == handle.strip().lower())).first()
    if row is None:
        raise NotFound(f"no officer with handle '{handle}'; see 'watchdesk officer list'.")
    return to_record(row)


def set_pin(rt: Runtime, actor: Actor, handle: str, pin: str) -> None:
    """An officer sets their own PIN; a supervisor may set anyone's."""
    target = get_officer(rt, handle)
    if actor.handle != target.handle:
        require(actor.handle, actor.role, Action.EDIT_OFFICERS)
    with rt.db.write() as session:
        row = session.get(Officer, target.id)
        assert row is not None
        row.pin_hash = _HASHER.hash(pin) if pin else ""
        session.add(row)
        append_event(session, rt.now(), actor.handle, "officer.pin_set", "officer", row.id, {"handle": row.handle, "cleared": not pin})


def set_active(rt: Runtime, actor: Actor, handle: str, active: bool) -> None:
    require(actor.handle, actor.role, Action.EDIT_OFFICERS)
    target = get_officer(rt, handle)
    with rt.db.write() as session:
        row = session.get(Officer, target.id)
        assert row is not None
        row.active = active
        session.add(row)
        append_event(session, rt.now(), actor.handle, "officer.activated" if active else "officer.deactivated", "officer", row.id, {"handle": row.handle})


def sign_in(rt: Runtime, handle: str, pin: str | None) -> Actor:
    """The operator at this terminal. An officer with a PIN must give it."""
    if handle.strip().lower() == SYSTEM_ACTOR.handle:
        raise PermissionDenied("'system' is the desk itself; sign in as an officer.")
    with rt.db.read() as session:
        row = session.exec(select(Officer).where(Officer.handle == handle.strip().lower())).first()
    if row is None:
        raise NotFound(f"no officer with handle '{handle}'; see 'watchdesk officer list'.")
    if not row.active:
        raise PermissionDenied(f"officer '{row.handle}' is inactive; a supervisor can reactivate them.")
    if row.pin_hash:
        if not pin:
            raise PermissionDenied(f"officer '{row.handle}' has a PIN; give it (or set $WATCHDESK_PIN).")
        try:
            _HASHER.verify(row.pin_hash, pin)
        except (VerificationError, InvalidHashError):
            raise PermissionDenied(f"wrong PIN for '{row.handle}'.") from None
    return Actor(handle=row.handle, role=Role(row.role), officer_id=row.id, full_name=row.full_name)


def bootstrap_supervisor(rt: Runtime, handle: str, full_name: str, pin: str = "") -> OfficerRecord:
    """The first officer of an empty desk (a supervisor), added by the system."""
    with rt.db.read() as session:
        if session.exec(select(Officer).limit(1)).first() is not None:
            raise Refused("the desk already has officers; a supervisor adds the others with 'watchdesk officer add'.")
    return add_officer(rt, SYSTEM_ACTOR, handle, full_name, role="supervisor", pin=pin)
