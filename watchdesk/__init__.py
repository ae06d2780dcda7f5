"""watchdesk: the terminal desk of a 24/7 cyber-security watch."""

__version__ = "0.1.0"
