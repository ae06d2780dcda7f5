from __future__ import annotations

import pytest

from watchdesk.core.enums import Role
from watchdesk.core.permissions import Action, PermissionDenied, allowed, require


def test_roles_are_cumulative() -> None:
    assert allowed(Role.OFFICER, Action.ACKNOWLEDGE)
    assert not allowed(Role.OFFICER, Action.ESCALATE)
    assert allowed(Role.LEAD, Action.ESCALATE)
    assert not allowed(Role.LEAD, Action.EDIT_ROSTER)
    assert all(allowed(Role.SUPERVISOR, a) for a in Action)


def test_refusal_names_who_may() -> None:
    with pytest.raises(PermissionDenied, match="only leads and supervisors may"):
        require("hung", Role.OFFICER, Action.ESCALATE)
    with pytest.raises(PermissionDenied, match="only supervisors may"):
        require("lan", Role.LEAD, Action.EDIT_OFFICERS)
