"""Outside escalation contacts (VNCERT/CC, NCSC, hotlines, the unit's leaders)."""

from __future__ import annotations

from watchdesk.core.records import ContactRecord
from watchdesk.services.context import Runtime
from watchdesk.store.audit import SYSTEM, append_event
from watchdesk.store.models import Contact
from watchdesk.store.queries.contacts import contacts_by_key

_FIELDS = ("name", "phone", "hotline", "email", "note", "to_verify")


def sync_contacts(rt: Runtime) -> int:
    """Make the contact table match the config; logs each change. Returns how many changed."""
    wanted = {c.key: c for c in rt.config.contacts}
    with rt.db.read() as session:
        have = contacts_by_key(session)
    if all(k in have and all(getattr(have[k], f) == getattr(c, f) for f in _FIELDS) for k, c in wanted.items()):
        return 0
    changed = 0
    with rt.db.write() as session:
        have = contacts_by_key(session)
        for key, conf in wanted.items():
            row = have.get(key)
            values = {f: getattr(conf, f) for f in _FIELDS}
            if row is None:
                session.add(Contact(key=key, **values))
            elif all(getattr(row, f) == v for f, v in values.items()):
                continue
            else:
                for f, v in values.items():
                    setattr(row, f, v)
                session.add(row)
            changed += 1
            append_event(session, rt.now(), SYSTEM, "contact.synced", "contact", key, values)
    return changed


def list_contacts(rt: Runtime) -> list[ContactRecord]:
    """Contacts known to the config, in config order (the table may keep retired ones)."""
    with rt.db.read() as session:
        rows = contacts_by_key(session)
    out = []
    for conf in rt.config.contacts:
        row = rows.get(conf.key)
        if row is not None:
            out.append(ContactRecord(row.key, row.name, row.phone, row.hotline, row.email, row.note, row.to_verify))
    return out
