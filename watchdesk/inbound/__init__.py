"""Alerts posted in by local monitoring (`watchdesk serve --listen`): access.py decides the
address and the integrations' tokens; server.py answers the posts (aiohttp) and hands each one
to watchdesk.services.inbound in a thread."""
