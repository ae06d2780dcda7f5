"""The closed vocabularies of the desk."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 is the most severe."""
        return list(Severity).index(self)

    def raised(self) -> "Severity":
        """One step more severe (critical stays critical)."""
        members = list(Severity)
        return members[max(0, self.rank - 1)]


class Role(StrEnum):
    OFFICER = "officer"
    LEAD = "lead"
    SUPERVISOR = "supervisor"


class Level(IntEnum):
    DUTY_OFFICER = 1
    SHIFT_LEAD = 2
    SUPERVISOR = 3


class AlertState(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Category(StrEnum):
    VULNERABILITY = "vulnerability"
    APT = "apt"
    PHISHING = "phishing"
    SUMMARY = "summary"
    BOTNET = "botnet"
    SOURCE_HEALTH = "source-health"
    ROLL_CALL = "roll-call"
    HANDOVER = "handover"
    WEBSITE = "website"
    OTHER = "other"


class ShiftOrigin(StrEnum):
    PATTERN = "pattern"
    OVERRIDE = "override"
    SWAP = "swap"
    IMPORT = "import"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt
    CANCELLED = "cancelled"  # not sent: the alert was acknowledged or resolved before it came due


class SourceKind(StrEnum):
    RSS = "rss"
    JSON = "json"
    HTML = "html"
    SITE = "site"
    MANUAL = "manual"
