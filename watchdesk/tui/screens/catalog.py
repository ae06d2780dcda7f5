"""Imports every screen module in order; each registers itself with its number key.

Other parts add their screen with one import line here (see watchdesk.tui.registry).
"""

from watchdesk.tui.screens import alerts  # noqa: F401  - 1 Alerts
from watchdesk.tui.screens import roster  # noqa: F401  - 2 Roster
from watchdesk.tui.screens import sources  # noqa: F401  - 3 Sources
from watchdesk.tui.screens import log  # noqa: F401  - 4 Log
from watchdesk.tui.screens import handover  # noqa: F401  - 5 Handover
from watchdesk.tui.screens import reports  # noqa: F401  - 6 Reports
