"""Who may do what. Roles are cumulative: a lead may do all an officer may, and so on."""

from __future__ import annotations

from enum import StrEnum

from watchdesk.core.enums import Role
from watchdesk.i18n import N_, _


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


# The words of a refusal (the enum values stay the stored, English ones).
ACTION_WORDS = {
    Action.ACKNOWLEDGE: N_("acknowledge"), Action.RESOLVE: N_("resolve"), Action.ANNOTATE: N_("annotate"),
    Action.SNOOZE: N_("snooze"), Action.HANDOVER: N_("handover"), Action.CHECKIN: N_("checkin"),
    Action.ADD_ALERT: N_("add alerts"), Action.ESCALATE: N_("escalate"), Action.REASSIGN: N_("reassign"),
    Action.OVERRIDE_SHIFT: N_("override shifts"), Action.EDIT_ROSTER: N_("edit rosters"),
    Action.EDIT_POLICY: N_("edit policies"), Action.EDIT_OFFICERS: N_("edit officers"),
}
_ROLES_PLURAL = {Role.OFFICER: N_("officers"), Role.LEAD: N_("leads"), Role.SUPERVISOR: N_("supervisors")}
_A_ROLE = {Role.OFFICER: N_("an officer"), Role.LEAD: N_("a lead"), Role.SUPERVISOR: N_("a supervisor")}


def a_role(role: Role | str) -> str:
    """'an officer', 'a lead', 'a supervisor' in the reader's language."""
    return _(_A_ROLE[Role(role)])


def who_may(action: Action) -> str:
    """'leads and supervisors', in words, for refusal messages."""
    least = _ORDER.index(_LEAST_ROLE[action])
    roles = [_(_ROLES_PLURAL[r]) for r in _ORDER[least:]]
    if len(roles) == 1:
        return roles[0]
    return _("{some} and {last}").format(some=", ".join(roles[:-1]), last=roles[-1])


def require(handle: str, role: Role, action: Action) -> None:
    """Raise PermissionDenied with a sentence naming who may do the action."""
    if not allowed(role, action):
        raise PermissionDenied(_("{handle} is {role} and may not {action}; only {who} may.").format(
            handle=handle, role=a_role(role), action=_(ACTION_WORDS[Action(action)]), who=who_may(action)))
