"""One alert in full: text, link, attachments, CVEs (subject and mentions), related alerts, the
timeline from the audit log, notifications delivered, call tasks with their outcome form, and
the escalation steps still ahead (a grouped alert shows its parent's, which cover it; `x`
splits it off)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from watchdesk.core.humane import event_facts, event_word, human_step, stored_sentence, word
from watchdesk.core.enums import AlertState
from watchdesk.core.permissions import Action
from watchdesk.core.records import AlertRecord
from watchdesk.i18n import _
from watchdesk.services.alerts import get_alert
from watchdesk.services import desk_state
from watchdesk.tui.format import local, next_text, severity_text, span, state_text
from watchdesk.tui.messages import ActionRefused, DetailLoaded
from watchdesk.tui.screens.base import PERSON_ERRORS, AlertActions, DeskScreen
from watchdesk.tui.screens.forms import ChoiceForm, Field, PromptForm

CALL_OUTCOMES = ("called", "no-answer", "reported")
PLAN_SHOWN = 4


def _web_links(alert: AlertRecord) -> list[tuple[str, str]]:
    """(title, url) of the alert's link and attachments that a browser may open: http(s) only,
    so a feed's 'file:' or 'javascript:' address is shown but never opened."""
    found = [(_("the alert's page"), alert.link)] + [(str(a.get("title", "")), str(a.get("url", ""))) for a in alert.attachments]
    links: dict[str, str] = {}  # by address: a page that is also listed as an attachment is offered once
    for title, url in found:
        if url.startswith(("https://", "http://")) and url not in links:
            links[url] = title or url.rsplit("/", 1)[-1] or url
    return [(title, url) for url, title in links.items()]


def _section(title: str) -> Text:
    return Text(title, style="bold underline")


class AlertDetailScreen(AlertActions, DeskScreen):
    MODE = "alerts"
    BINDINGS = [
        Binding("escape,backspace", "back", _("Back"), id="detail.back"),
        Binding("a", "acknowledge", _("Ack"), id="detail.acknowledge"),
        Binding("r", "resolve", _("Resolve"), id="detail.resolve"),
        Binding("n", "note", _("Note"), id="detail.note"),
        Binding("e", "escalate", _("Escalate"), id="detail.escalate"),
        Binding("s", "snooze", _("Snooze"), id="detail.snooze"),
        Binding("o", "open_link", _("Open link"), id="detail.open_link"),
        Binding("c", "record_call", _("Call done"), id="detail.record_call"),
        Binding("x", "split", _("Split off"), show=False, id="detail.split"),  # help lists it; a grouped alert says "x: split off"
        Binding("g", "assign", _("Assign"), id="detail.assign"),  # last: the footer cuts it first at 80 columns
    ]

    def __init__(self, alert_id: int) -> None:
        super().__init__()
        self.alert_id = alert_id
        self.loaded: DetailLoaded | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(Text(_("Loading alert #{id}…").format(id=self.alert_id)), id="detail-head")
            yield Static("", id="detail-summary", classes="detail-block")
            yield Static("", id="detail-links", classes="detail-block")
            yield Static("", id="detail-plan", classes="detail-block")
            yield Static("", id="detail-calls", classes="detail-block")
            yield Static("", id="detail-notifications", classes="detail-block")
            yield Static("", id="detail-related", classes="detail-block")
            yield Static("", id="detail-timeline", classes="detail-block")

    def on_mount(self) -> None:
        self.query_one("#detail", VerticalScroll).focus()
        self.reload()

    def current_alert_id(self) -> int | None:
        return self.alert_id

    def reload(self) -> None:
        self._load(self.alert_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def _load(self, alert_id: int) -> None:
        from watchdesk.services.calls import list_calls
        from watchdesk.services.escalation import plan_for_alert

        rt = self.desk.rt
        try:
            alert = get_alert(rt, alert_id)
            events = desk_state.timeline(rt, alert_id)
            notes = desk_state.deliveries(rt, alert_id)
            calls = list_calls(rt, alert_id)
            plan = plan_for_alert(rt, alert_id)
            related = [get_alert(rt, i) for i in alert.related[:20]]
        except PERSON_ERRORS as exc:
            self.post_message(ActionRefused("load", str(exc), alert_id))
            return
        self.post_message(DetailLoaded(alert, events, notes, calls, plan, related))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.loaded = message
        zone = self.desk.rt.zone
        now = self.desk.rt.now()
        a = message.alert
        head = Text()
        head.append(f"#{a.id} ")
        head.append_text(severity_text(a.severity))
        head.append(" ")
        head.append_text(state_text(a.state))
        head.append("  ")
        head.append(a.title, style="bold")  # plain text: never markup
        head.append("\n")
        facts = [
            (_("source"), a.source), (_("received"), local(a.received_at, zone)),
            (_("level"), f"{a.level} ({_('round')} {a.round + 1})"),
        ]
        if a.published_at:
            facts.insert(2, (_("published"), local(a.published_at, zone, "%d/%m/%Y %H:%M")))  # a feed's date may be years old
        if a.severity_raw:
            facts.append((_("severity given"), a.severity_raw))
        if a.doc_number:
            facts.append((_("document"), a.doc_number))
        if a.cves:
            facts.append((_("CVE"), " ".join(a.cves)))
        if a.mentions:
            facts.append((_("mentions"), " ".join(a.mentions)))
        grouped = a.joined_to is not None and a.state != AlertState.RESOLVED
        if grouped:
            facts.append((_("grouped under"), f"#{a.joined_to} " + _("(x: split off)")))
        if a.assignee:
            facts.append((_("assignee"), a.assignee))
        if a.acked_by:
            facts.append((_("acknowledged"), f"{a.acked_by} {local(a.acked_at, zone)}"))
        if a.resolved_by:
            facts.append((_("resolved"), f"{a.resolved_by} {local(a.resolved_at, zone)}"))
        if a.snoozed_until and a.snoozed_until > now:
            facts.append((_("snoozed until"), local(a.snoozed_until, zone)))
        for n, (label, value) in enumerate(facts):
            head.append(("" if n == 0 else "  ") + label + ": ", style="dim")
            head.append(value)
        if a.state != AlertState.RESOLVED:
            head.append("  " + _("next") + ": ", style="dim")
            head.append_text(next_text(a, now))
        if a.resolution:
            head.append("\n" + _("Resolution") + ": ", style="bold")
            head.append(a.resolution)
        self.query_one("#detail-head", Static).update(head)

        summary = Text()
        summary.append_text(_section(_("Summary")))
        summary.append("\n" + (a.summary or _("(no summary)")))
        self.query_one("#detail-summary", Static).update(summary)

        links = Text()
        links.append_text(_section(_("Link and attachments")))
        links.append("\n" + (a.link or _("(no link)")))
        if len(_web_links(a)) > 1:
            links.append("  " + _("(o: open it or an attachment in the browser)"), style="dim")
        elif _web_links(a):
            links.append("  " + _("(o: open in the browser)"), style="dim")
        for item in a.attachments:
            links.append("\n• " + str(item.get("title", "")) + "  " + str(item.get("url", "")))
        self.query_one("#detail-links", Static).update(links)

        plan = Text()
        plan.append_text(_section(_("Escalation ahead")))
        if grouped and message.plan:
            plan.append("\n" + _("Covered by #{id}: its steps page for this alert too.").format(id=a.joined_to), style="dim")
        if not message.plan:
            plan.append("\n" + (_("(none: resolved)") if a.state == AlertState.RESOLVED else _("(no further steps)")))
        for step in message.plan[:PLAN_SHOWN]:
            plan.append("\n" + _plan_line(step, zone, now))
        if len(message.plan) > PLAN_SHOWN:
            last = message.plan[-1]
            plan.append("\n" + _("… {n} more steps, the last at {at}").format(n=len(message.plan) - PLAN_SHOWN, at=local(last.at, zone, "%H:%M %d/%m")),
                        style="dim")
        self.query_one("#detail-plan", Static).update(plan)

        calls = Text()
        calls.append_text(_section(_("Calls to make")))
        if not message.calls:
            calls.append("\n" + _("(none)"))
        for call in message.calls:
            outcome = word(call.outcome) if call.outcome else _("to do (c: record the outcome)")
            calls.append(f"\n#{call.id} {call.contact_key}  {call.name}")
            numbers = "  ".join(n for n in (call.phone, call.hotline) if n)
            if numbers:
                calls.append(f"  {numbers}", style="bold")
            calls.append(f"  — {outcome}")
            if call.done_by:
                calls.append(f"  {call.done_by} {local(call.done_at, zone)}")
            if call.reference:
                calls.append(f"  ref {call.reference}")
        self.query_one("#detail-calls", Static).update(calls)

        notes = Text()
        notes.append_text(_section(_("Notifications")))
        if not message.notifications:
            notes.append("\n" + _("(none yet)"))
        for n in message.notifications:
            when = local(n.sent_at or n.created_at, zone)
            notes.append(f"\n{when}  L{n.level} r{n.round + 1}  {n.channel} → {n.target}  {word(n.status)}")
            if n.last_error:
                notes.append(f"  ({n.last_error})", style="dim")
        self.query_one("#detail-notifications", Static).update(notes)

        related = Text()
        related.append_text(_section(_("Related alerts")))
        if not message.related:
            related.append("\n" + _("(none)"))
        for r in message.related:
            related.append(f"\n#{r.id} ")
            related.append_text(severity_text(r.severity))
            related.append(" ")
            related.append_text(state_text(r.state))
            related.append("  " + r.title)
        self.query_one("#detail-related", Static).update(related)

        timeline = Text()
        timeline.append_text(_section(_("Timeline")))
        for e in message.timeline:
            timeline.append("\n" + _event_time(e.at, zone) + "  ")
            timeline.append(word(e.actor), style="bold")
            timeline.append(f"  {event_word(e.kind)}")
            detail = _event_detail(e.payload, zone)
            if detail:
                timeline.append("  " + detail, style="dim")
        self.query_one("#detail-timeline", Static).update(timeline)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_split(self) -> None:
        """Take this alert out of the group it joined: it pages on its own from its first step."""
        alert = self.loaded.alert if self.loaded else None
        if alert is None or alert.joined_to is None:
            self.show_status(_("This alert is not grouped under another; there is nothing to split."), error=True)
            return

        def go(actor: Any) -> None:
            from watchdesk.services import lifecycle

            self.run_action("split", self.alert_id, lambda: lifecycle.split(self.desk.rt, actor, self.alert_id),
                            _("#{id} split off #{parent}; it pages on its own from level 1.").format(id=self.alert_id, parent=alert.joined_to))

        self._with_operator(Action.ACKNOWLEDGE, go)

    def action_open_link(self) -> None:
        """Open the alert's link, or ask which when it has attachments too."""
        links = _web_links(self.loaded.alert) if self.loaded else []
        if not links:
            self.show_status(_("This alert has no web link to open."), error=True)
        elif len(links) == 1:
            self._open(links[0][1])
        else:
            # Plain text (Content, never markup): the titles come from the feed.
            choices = [(str(i), Content.assemble(title, "\n", (url, "dim"))) for i, (title, url) in enumerate(links)]

            def chosen(index: str | None) -> None:
                if index is not None:
                    self._open(links[int(index)][1])

            self.app.push_screen(ChoiceForm(_("Open which link in the browser?"), choices), chosen)

    def _open(self, url: str) -> None:
        self.app.open_url(url)
        self.show_status(_("Opened {link} in the browser.").format(link=url))

    def action_record_call(self) -> None:
        calls = [c for c in (self.loaded.calls if self.loaded else []) if c.open]
        if not calls:
            self.show_status(_("No call is waiting for an outcome."), error=True)
            return
        call = calls[0]

        def go(actor: Any) -> None:
            from watchdesk.services import calls as call_service

            def submitted(values: dict[str, str] | None) -> None:
                if not values:
                    return
                outcome = values["outcome"].strip().lower()
                if outcome not in CALL_OUTCOMES:
                    self.post_message(ActionRefused("call", _("The outcome must be one of: {choices}.").format(choices=", ".join(CALL_OUTCOMES)), self.alert_id))
                    return
                self.run_action("call", self.alert_id,
                                lambda: call_service.record_call(self.desk.rt, actor, call.id, outcome, values["reference"], values["note"]),
                                _("Call to {who} recorded: {outcome}.").format(who=call.contact_key, outcome=outcome))

            self.app.push_screen(
                PromptForm(_("Call to {who}").format(who=call.contact_key), [
                    Field("outcome", _("Outcome: called, no-answer or reported"), "called"),
                    Field("reference", _("Reference (ticket or letter number)"), required=False),
                    Field("note", _("Note"), required=False),
                ], _("Record")),
                submitted,
            )

        self._with_operator(Action.ANNOTATE, go)


def _plan_line(step: Any, zone: Any, now: Any) -> str:
    """One watchdesk.services.escalation.PlannedStep as a line."""
    when = local(step.at, zone, "%H:%M %d/%m")
    left = " (" + _("in {span}").format(span=span(step.at - now)) + ")" if step.at > now else ""
    who = ", ".join(step.officers) if step.officers else (_("nobody on duty") if step.nobody else "")
    parts = [f"{when}{left}", human_step(step.level, [c.get("key", "") for c in step.calls]), who]
    return "  ".join(p for p in parts if p) + ("  " + _("(last step)") if step.final else "")


def _event_time(at: str, zone: Any) -> str:
    try:
        return desk_state.stored_time(at).astimezone(zone).strftime("%d/%m %H:%M:%S")  # type: ignore[union-attr]
    except (ValueError, AttributeError):  # not a stored time (a hand-edited event): shown as it is
        return at


def _event_detail(payload: dict[str, Any], zone: Any) -> str:
    for key in ("note", "text", "resolution", "reason", "message"):
        if payload.get(key):
            return stored_sentence(str(payload[key]))[:200]
    # Otherwise the few facts of the event in words (level, round from 1, local times), never payload keys.
    return "  ".join(event_facts(payload, zone))[:160]
