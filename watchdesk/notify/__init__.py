"""Notifications: the outbox table, the courier that delivers it, and the channels that carry messages.

The escalation engine only writes outbox rows (`outbox.enqueue`); the courier (`courier.py`)
claims due rows with a compare-and-set naming its engine, sends them beside the tick through
`channels` (an overall deadline per send, a cap per channel), and records the outcome. At least
once, never twice by two live engines, retried with backoff and jitter; a dead engine's claims
are taken over when its heartbeat goes stale.
"""
