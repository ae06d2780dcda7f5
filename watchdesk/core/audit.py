"""The audit chain's rules: canonical JSON and the hash of one event (pure functions).

hash = SHA-256(DOMAIN ‖ seq ‖ prev_hash ‖ body), where body is the length-prefixed
concatenation of every stored field (at, actor, kind, subject_type, subject_id, payload).
Hashing every column, not just the payload, means editing any of them breaks the chain;
length prefixes make the encoding unambiguous without re-serialising JSON on verify.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

DOMAIN = b"watchdesk.audit.v1\x00"
GENESIS = "0" * 64


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: one text for one value."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _field(value: str) -> bytes:
    raw = value.encode("utf-8")
    return b"%d:%b;" % (len(raw), raw)


def event_hash(
    seq: int,
    prev_hash: str,
    at: str,
    actor: str,
    kind: str,
    subject_type: str,
    subject_id: str,
    payload: str,
) -> str:
    """The hex hash of one event given its stored (text) fields."""
    body = b"".join(
        (
            DOMAIN,
            b"%d;" % seq,
            prev_hash.encode("ascii"),
            _field(at),
            _field(actor),
            _field(kind),
            _field(subject_type),
            _field(subject_id),
            _field(payload),
        )
    )
    return hashlib.sha256(body).hexdigest()
