"""Who may do what. Roles are cumulative: a lead may do all an officer may, and so on."""

from __future__ import annotations

from enum import StrEnum

from watchdesk.core.enums import Role


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    ANNOTATE = "annotate"
    SNOOZE = "snooze"
    HANDOVER = "handover"
    CHECKIN = "checkin"
    ADD_ALERT = "add alerts"
    ESCALATE = "escalate"
    REASSIGN = "reassign"
    OVERRIDE_SHIFT = "override shifts"
    EDIT_ROSTER = "edit rosters"
    EDIT_POLICY = "edit policies"
    EDIT_OFFICERS = "edit officers"


_LEAST_ROLE: dict[Action, Role] = {
    Action.ACKNOWLEDGE: Role.OFFICER,
    Action.RESOLVE: Role.OFFICER,
    Action.ANNOTATE: Role.OFFICER,
    Action.SNOOZE: Role.OFFICER,
    Action.HANDOVER: Role.OFFICER,
    Action.CHECKIN: Role.OFFICER,
    Action.ADD_ALERT: Role.OFFICER,
    Action.ESCALATE: Role.LEAD,
    Action.REASSIGN: Role.LEAD,
    Action.OVERRIDE_SHIFT: Role.LEAD,
    Action.EDIT_ROSTER: Role.SUPERVISOR,
    Action.EDIT_POLICY: Role.SUPERVISOR,
    Action.EDIT_OFFICERS: Role.SUPERVISOR,
}
_ORDER = [Role.OFFICER, Role.LEAD, Role.SUPERVISOR]


class PermissionDenied(Exception):
    """A person tried an action their role does not allow."""


def allowed(role: Role, action: Action) -> bool:
    return _ORDER.index(Role(role)) >= _ORDER.index(_LEAST_ROLE[action])


def who_may(action: Action) -> str:
    """'leads and supervisors', in words, for refusal messages."""
    least = _ORDER.index(_LEAST_ROLE[action])
    names = {Role.OFFICER: "officers", Role.LEAD: "leads", Role.SUPERVISOR: "supervisors"}
    roles = [names[r] for r in _ORDER[least:]]
    return roles[0] if len(roles) == 1 else ", ".join(roles[:-1]) + " and " + roles[-1]


def require(handle: str, role: Role, action: Action) -> None:
    """Raise PermissionDenied with a sentence naming who may do the action."""
    if not allowed(role, action):
        article = "an" if Role(role) == Role.OFFICER else "a"
        raise PermissionDenied(
            f"{handle} is {article} {Role(role).value} and may not {action.value}; only {who_may(action)} may."
        )
