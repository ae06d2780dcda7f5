"""Imports every command module so its commands attach to the root group."""
from watchdesk.cli import alert_group  # noqa: F401
from watchdesk.cli import roster  # noqa: F401
from watchdesk.cli import feeds  # noqa: F401
from watchdesk.cli import demo  # noqa: F401
from watchdesk.cli import alerts  # noqa: F401
from watchdesk.cli import engine  # noqa: F401
from watchdesk.cli import handover  # noqa: F401
from watchdesk.cli import report  # noqa: F401
from watchdesk.cli import web  # noqa: F401
from watchdesk.cli import site  # noqa: F401
from watchdesk.cli import botnet  # noqa: F401
