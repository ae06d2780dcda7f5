"""Botnet lists (S4): import a monthly list, raise one alert per address of ours, answer "was it listed?".

`import_list` reads and matches the file outside any transaction, then stores everything in one
write transaction: the list (name, file hash, rows, who), our addresses found in it, the alerts
and the audit event. A file already imported (same hash) changes nothing. For each address of ours:
- no alert of an earlier list is open for it: a new alert (category botnet, severity high), whose
  summary names the earlier lists that held the address and the resolved alert it follows;
- an earlier alert for it is still open: the sighting is added to that alert (an event and a line
  of its summary) instead of a second alert.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from watchdesk.config_file import DEFAULTS_WHERE
from watchdesk.core.enums import AlertState, Category, Severity
from watchdesk.core.humane import word
from watchdesk.core.networks import NetworkIndex, address_text
from watchdesk.core.permissions import Action, require
from watchdesk.core.records import Actor
from watchdesk.core.text import clean_line, clean_text
from watchdesk.feeds.botnet import BadList, Sighting, file_hash, read_list
from watchdesk.i18n import _
from watchdesk.services.alert_factory import raise_alert
from watchdesk.services.errors import InvalidInput, Refused
from watchdesk.services.runtime import Runtime
from watchdesk.store.audit import append_event
from watchdesk.store.db import Session
from watchdesk.store.models import Alert, BotnetList, BotnetMatch
from watchdesk.store.queries import botnet as q
from watchdesk.store.types import to_db_text

SOURCE_KEY = "botnet"
NAME_MAX = 80
SUMMARY_MAX = 20_000


@dataclass(frozen=True)
class ImportReport:
    list_name: str
    list_id: int
    already: bool  # the same file was imported before: nothing changed
    kind: str
    rows: int
    matched: int
    raised: tuple[int, ...]
    added_to: tuple[int, ...]  # open alerts the new sighting was added to
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Appearance:
    list_name: str
    imported_at: datetime | None
    network: str
    network_name: str
    families: tuple[str, ...]
    ports: tuple[int, ...]
    times_seen: int
    first_seen: datetime | None
    last_seen: datetime | None
    alert_id: int | None
    alert_state: str


@dataclass(frozen=True)
class CheckAnswer:
    address: str
    ours: bool
    network: str
    appearances: tuple[Appearance, ...]


def _index(rt: Runtime) -> NetworkIndex:
    index = NetworkIndex(rt.config.watch.networks)
    if not index:
        path = rt.config.source_path
        where = path if path and path != DEFAULTS_WHERE else _("the config (no file was found)")
        raise InvalidInput(_("no networks of ours in {where}; list them under [watch] networks "
                             "(e.g. networks = [\"203.0.113.0/24\"]) before importing a botnet list.").format(where=where))
    return index


def _list_name(name: str) -> str:
    clean = clean_line(name)
    if not clean:
        raise InvalidInput(_("a botnet list needs a name; give --list, e.g. --list 2026-11."))
    if len(clean) > NAME_MAX:
        raise InvalidInput(_("--list: the name is {n} characters long, more than the {limit} allowed; shorten it.").format(
            n=len(clean), limit=NAME_MAX))
    return clean


def _existing(session: Session, name: str, digest: str) -> BotnetList | None:
    """The list of the same file (nothing to do); refuses the same name on another file."""
    same_file = q.list_by_hash(session, digest)
    if same_file is not None:
        return same_file
    same_name = q.list_by_name(session, name)
    if same_name is not None:
        raise Refused(_("a botnet list named '{name}' was imported already from another file ({file}, {rows:,} rows); "
                        "give this one another --list name.").format(name=name, file=same_name.file_name, rows=same_name.rows))
    return None


def _already(row: BotnetList) -> ImportReport:
    return ImportReport(row.name, row.id or 0, True, "", row.rows, row.matched, (), ())


def import_list(rt: Runtime, actor: Actor, path: str | Path, list_name: str) -> ImportReport:
    """Read a botnet list, keep it, and raise or extend one alert per address of ours (all or nothing)."""
    require(actor.handle, actor.role, Action.ADD_ALERT)
    name = _list_name(list_name)
    path = Path(path).expanduser()
    index = _index(rt)
    try:
        digest = file_hash(path) if path.is_file() else ""
    except OSError:
        digest = ""
    if digest:
        with rt.db.read() as session:
            found = _existing(session, name, digest)
        if found is not None:
            return _already(found)
    try:
        reading = read_list(path, index, rt.zone, digest)
    except BadList as exc:
        raise InvalidInput(str(exc)) from None
    now = rt.now()
    with rt.db.write() as session:
        found = _existing(session, name, reading.file_hash)  # another desk may have imported it meanwhile
        if found is not None:
            return _already(found)
        row = BotnetList(name=name, file_name=clean_line(path.name, max_length=200), file_hash=reading.file_hash,
                         rows=reading.rows, matched=len(reading.sightings), imported_by=actor.handle, imported_at=now)
        session.add(row)
        session.flush()
        raised: list[int] = []
        added: list[int] = []
        for sighting in sorted(reading.sightings.values(), key=_order):
            alert_id, created = _alert_for(session, now, actor, row, sighting)
            (raised if created else added).append(alert_id)
        append_event(session, now, actor.handle, "botnet.imported", "botnet_list", row.id, {
            "name": name, "file": row.file_name, "file_hash": reading.file_hash, "kind": reading.kind,
            "rows": reading.rows, "matched": len(reading.sightings), "raised": raised, "added_to": added,
        })
        return ImportReport(name, row.id or 0, False, reading.kind, reading.rows, len(reading.sightings),
                            tuple(raised), tuple(added), tuple(reading.warnings))


def _order(s: Sighting) -> tuple[int, int]:
    """IPv4 before IPv6, each in address order (the alerts' ids follow it)."""
    address = ipaddress.ip_address(s.address)
    return address.version, int(address)


def _earlier(session: Session, address: str, list_id: int) -> list[tuple[BotnetMatch, BotnetList, Alert | None]]:
    """Earlier lists holding `address`, newest first, with the alert each match led to."""
    rows = q.earlier_matches_of(session, address, list_id)
    out = []
    for match, lst in rows:
        alert = session.get(Alert, match.alert_id) if match.alert_id else None
        out.append((match, lst, alert))
    return out


def _facts(s: Sighting) -> str:
    families = ", ".join(sorted(s.families)) or "-"
    ports = ", ".join(str(p) for p in sorted(s.ports)) or "-"
    orgs = "; ".join(sorted(s.organisations)) or "-"
    span = "-"
    if s.first_seen is not None:
        span = to_db_text(s.first_seen)[:16] + (f" … {to_db_text(s.last_seen)[:16]}" if s.last_seen != s.first_seen else "")
    return _("Address: {address}\nOur network: {network}\nMalware family: {families}\nPorts: {ports}\n"
             "Times seen: {times} ({span} UTC)\nOrganisation in the list: {orgs}").format(
        address=s.address, network=s.network.label, families=families, ports=ports, times=s.times_seen,
        span=span, orgs=orgs)


def _alert_for(session: Session, now: datetime, actor: Actor, lst: BotnetList, s: Sighting) -> tuple[int, bool]:
    """Store the match; add it to the open alert of an earlier list, else raise a new alert."""
    earlier = _earlier(session, s.address, lst.id or 0)
    match = BotnetMatch(
        list_id=lst.id, address=s.address, network=s.network.cidr, network_name=s.network.name,
        families=json.dumps(sorted(s.families), ensure_ascii=False), ports=json.dumps(sorted(s.ports)),
        organisations=json.dumps(sorted(s.organisations), ensure_ascii=False), times_seen=s.times_seen,
        first_seen=s.first_seen, last_seen=s.last_seen,
    )
    open_alert = next((a for _m, _l, a in earlier if a is not None and a.state != AlertState.RESOLVED.value), None)
    facts = _facts(s)
    if open_alert is not None:
        match.alert_id = open_alert.id
        session.add(match)
        line = _("Seen again in botnet list '{name}' (imported {at} UTC by {by}):\n{facts}").format(
            name=lst.name, at=to_db_text(now)[:16], by=actor.handle, facts=facts)
        open_alert.summary = clean_text(f"{open_alert.summary}\n\n{line}", max_length=SUMMARY_MAX)
        open_alert.updated_at = now
        session.add(open_alert)
        append_event(session, now, actor.handle, "botnet.sighting", "alert", open_alert.id, {
            "list": lst.name, "address": s.address, "network": s.network.cidr, "families": sorted(s.families),
            "ports": sorted(s.ports), "times_seen": s.times_seen,
        })
        return open_alert.id or 0, False
    lines = [_("Our address {address} is in the botnet list '{name}': a machine of ours is probably infected "
               "and talking to a botnet. Find the machine behind it, isolate and clean it.").format(
                 address=s.address, name=lst.name), "", facts]
    follows = next((a for _m, _l, a in earlier if a is not None), None)
    if follows is not None:
        lines += ["", _("Follows alert #{id} (resolved {at} UTC): the address is listed again after it was resolved.").format(
            id=follows.id, at=to_db_text(follows.resolved_at)[:16] if follows.resolved_at else "-")]
    if earlier:
        lines += ["", _("Earlier lists with this address:")]
        for m, prior, a in earlier[:24]:
            lines.append(_("  - '{name}' (imported {at} UTC): {times} times, alert #{alert} ({state})").format(
                name=prior.name, at=to_db_text(prior.imported_at)[:10], times=m.times_seen,
                alert=m.alert_id or "-", state=word(a.state) if a is not None else "-"))
    family = sorted(s.families)[0] if s.families else _("unknown malware")
    alert, created = raise_alert(
        session, now, source_key=SOURCE_KEY, dedup_key=f"botnet:{lst.name}:{s.address}",
        title=_("Our address {address} ({network}) is in botnet list '{name}': {family}").format(
            address=s.address, network=s.network.name or s.network.cidr, name=lst.name, family=family),
        summary="\n".join(lines), severity=Severity.HIGH, category=Category.BOTNET, actor=actor.handle,
    )
    match.alert_id = alert.id
    session.add(match)
    if follows is not None and created:
        append_event(session, now, actor.handle, "botnet.relisted", "alert", alert.id,
                     {"follows": follows.id, "address": s.address, "list": lst.name})
    return alert.id or 0, created


def check_address(rt: Runtime, text: str) -> CheckAnswer:
    """In which imported lists an address appeared (lists keep only our own addresses)."""
    value = clean_line(text, max_length=60)
    parsed = NetworkIndex.address(value)
    if parsed is None:
        raise InvalidInput(_("'{value}' is not an IPv4 or IPv6 address; give one like 203.0.113.5.").format(value=value))
    address = address_text(*parsed)
    index = NetworkIndex(rt.config.watch.networks)
    net = index.owner(*parsed)
    with rt.db.read() as session:
        rows = q.matches_of(session, address)
        appearances = []
        for m, lst in rows:
            alert = session.get(Alert, m.alert_id) if m.alert_id else None
            appearances.append(Appearance(
                list_name=lst.name, imported_at=lst.imported_at, network=m.network, network_name=m.network_name,
                families=tuple(json.loads(m.families)), ports=tuple(json.loads(m.ports)), times_seen=m.times_seen,
                first_seen=m.first_seen, last_seen=m.last_seen, alert_id=m.alert_id,
                alert_state=alert.state if alert is not None else ""))
    return CheckAnswer(address, net is not None, net.label if net is not None else "", tuple(appearances))


def list_lists(rt: Runtime) -> list[BotnetList]:
    with rt.db.read() as session:
        return q.lists(session)
