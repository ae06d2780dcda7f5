"""The shapes handed between adapters, the normalizer and ingest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from watchdesk.core.enums import Category, Severity


@dataclass
class RawItem:
    """One entry as an adapter read it: untrusted text, nothing interpreted yet."""

    native_id: str = ""
    link: str = ""
    title: str = ""
    summary: str = ""
    published: str = ""
    """The date as the source wrote it (RFC 822/3339, dd/mm/yyyy, 'ngày … tháng … năm …')."""
    published_struct: datetime | None = None
    """An already parsed, aware time when the adapter has one (feedparser, JSON)."""
    severity: str = ""
    """The source's own severity label or word, if it has a field for it."""
    cvss: float | None = None
    cves: tuple[str, ...] = ()
    """Structured CVE ids (KEV `cveID`, NVD `cve.id`, a mapped `cves` field): what the item is about."""
    title_is_prose: bool = False
    """The title was cut from the description (NVD): its CVE ids are mentions, not the subject."""
    vendor: str = ""
    product: str = ""
    attachments: tuple[dict[str, str], ...] = ()
    naive_zone: str = ""
    """Zone for dates without one ('' = the desk's zone; 'UTC' for US catalogues)."""
    severity_default: Severity | None = None
    """A preset's default when neither a field nor the words say (KEV: high)."""


@dataclass(frozen=True)
class FeedItem:
    """A normalized warning, ready to become (or update) an alert."""

    native_id: str
    title: str
    summary: str
    link: str
    severity: Severity
    severity_raw: str
    category: Category
    cves: tuple[str, ...]
    """The subject: structured ids and the CVE ids of the title. Only these ever join alerts."""
    doc_number: str
    published_at: datetime | None
    affects_us: bool
    attachments: tuple[dict[str, str], ...] = ()
    content_hash: str = ""
    mentions: tuple[str, ...] = ()
    """CVE ids named only in the prose (notes, 'unique from CVE-…'): related and searchable, never joined."""

    @property
    def identity(self) -> str:
        """What makes two polls' items the same warning: native id, else guid, else link."""
        return self.native_id or self.link or f"title:{self.title}"


@dataclass
class ParseOutcome:
    """What an adapter made of a body: the items, and problems worth showing (items still kept)."""

    items: list[RawItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
