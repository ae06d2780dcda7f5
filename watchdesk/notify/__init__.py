"""Notifications: the outbox table, its delivery loop, and the channels that carry messages.

The escalation engine only writes outbox rows (`outbox.enqueue`); `outbox.deliver_due`
claims due rows with a compare-and-set, sends them through `channels`, and records the
outcome. At least once, never twice by two engines, retried with backoff and jitter.
"""
