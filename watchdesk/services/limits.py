"""Text a person types, cleaned and held to its field's length: refused past it, never cut.

The lengths are stated here once (README, configuration section, lists them); feed text is
not held to them (a feed's summary is the publisher's, capped where it is stored).
"""

from __future__ import annotations

from datetime import datetime

from watchdesk.i18n import _
from watchdesk.core.limits import LimitError, check_length, check_year
from watchdesk.core.text import clean_text
from watchdesk.services.errors import InvalidInput

NOTE_MAX = 5_000
"""An alert's note or resolution note."""
REASON_MAX = 300
"""Why an alert was escalated or snoozed; why a roster change was made."""
# A handover's notes and remarks: 10,000 (services/handover.py NOTES_MAX).
NAME_MAX = 80
"""A watch period's name and directive reference."""
PERIOD_NOTES_MAX = 2_000
REFERENCE_MAX = 80
"""The reference number a contact gave on a call."""
CALL_NOTE_MAX = 2_000
SOURCE_NOTE_MAX = 200
"""Where a warning typed in came from ('phone call from NCSC', a letter number)."""
TITLE_MAX = 300
"""A warning typed in: its title, summary and link (as a feed item's are stored)."""
SUMMARY_MAX = 20_000
LINK_MAX = 2_000


def person_text(value: object, limit: int, what: str, *, multiline: bool = True) -> str:
    """`value` cleaned (watchdesk.core.text); InvalidInput naming `what` and `limit` when longer."""
    text = clean_text(value, multiline=multiline)
    try:
        return check_length(text, limit)
    except LimitError as exc:
        raise InvalidInput(_("{what}: {exc}.").format(what=what, exc=exc)) from None


def person_date(when: datetime, what: str) -> datetime:
    """A date a person gave (a watch period's start or end, a roster row): years 2000 to 2100."""
    try:
        check_year(when)
    except LimitError as exc:
        raise InvalidInput(_("{what} {exc}.").format(what=what, exc=exc)) from None
    return when
