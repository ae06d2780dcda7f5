"""`watchdesk notify test`: a test message through one channel, now, to see that it works."""

from __future__ import annotations

from datetime import datetime

from watchdesk.notify.channels import Channels, DeliveryError, Message
from watchdesk.notify.messages import channel_test_page
from watchdesk.notify.outbox import enqueue
from watchdesk.services.context import Runtime
from watchdesk.store.types import to_db_text


def send_test(rt: Runtime, channel: str, target: str, now: datetime) -> str | None:
    """Send a test message through the configured `channel` to `target`: None when it went, else
    why it failed. A terminal channel's message is a banner written for every running desk."""
    conf = rt.config.channels[channel]
    page = channel_test_page(desk=rt.config.desk.name, channel=channel, now=now, zone=rt.zone)
    key = f"test:{channel}:{target}:{to_db_text(now)}"
    if conf.type == "terminal":
        with rt.db.write() as session:
            enqueue(session, alert_id=None, level=0, round=0, channel=channel, channel_type="terminal", target=target, page=page, now=now, key=key)
        return None
    channels = Channels(dict(rt.config.channels))
    try:
        channels.send(Message(0, None, 0, 0, channel, target, key, page.subject, page.body), now)
    except DeliveryError as exc:
        return str(exc)
    finally:
        channels.close()
    return None
