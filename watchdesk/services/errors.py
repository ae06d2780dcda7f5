"""Errors a person can meet through a service; each message is one sentence for them."""

from __future__ import annotations

from watchdesk.core.permissions import PermissionDenied

__all__ = ["ServiceError", "NotFound", "Refused", "InvalidInput", "PermissionDenied"]


class ServiceError(Exception):
    """Base: the message is shown as it is."""


class NotFound(ServiceError):
    """No such officer, alert, period …"""


class Refused(ServiceError):
    """The action lost a race or does not fit the current state ('already acknowledged by lan at 02:03')."""


class InvalidInput(ServiceError):
    """Bad input from a person or a file: names the line/field and what is allowed."""
