"""The desk fixtures (demo desk, app factory) for the Handover and Reports screens' Pilot tests."""

from tests.tui.conftest import desk_rt, ids, make_desk, messages  # noqa: F401
