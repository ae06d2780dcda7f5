"""The audit chain's rules: canonical JSON and the hash of one event (pure functions).

Each event is stored as one canonical-JSON `body` holding every field (at, actor, kind,
subject_type, subject_id, data); the table's other columns are generated from it, so no
column can be edited apart from what is hashed.

    hash = SHA-256(DOMAIN ‖ seq ‖ ";" ‖ prev_hash ‖ body)

prev_hash and hash are 32 raw bytes (shown as hex). Verifying reads three columns per row
and hashes them as stored, without re-serialising JSON: that is what keeps a million-event
verify within a small factor of bare hashing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

DOMAIN = b"watchdesk.audit.v2\x00"
GENESIS = bytes(32)


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: one text for one value."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_body(at: str, actor: str, kind: str, subject_type: str, subject_id: str, data: dict[str, Any]) -> str:
    return canonical_json(
        {"actor": actor, "at": at, "data": data, "kind": kind, "subject_id": subject_id, "subject_type": subject_type}
    )


def event_hash(seq: int, prev_hash: bytes, body: str | bytes) -> bytes:
    """The 32-byte hash of one event given its seq, its predecessor's hash and its stored body."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return hashlib.sha256(b"%b%d;%b%b" % (DOMAIN, seq, prev_hash, raw)).digest()
