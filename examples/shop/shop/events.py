"""The shop's one ``on_event`` callback: the metrics and the CRM webhook, for every event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from trachea_login import TracheaEvent

from .metrics import LoginMetrics
from .webhooks import WebhookSender


def on_event_for(
    metrics: LoginMetrics, webhooks: WebhookSender
) -> Callable[[TracheaEvent], Awaitable[None]]:
    """``TracheaLogin(on_event=on_event_for(metrics, webhooks))``."""

    async def on_event(event: TracheaEvent) -> None:
        metrics.on_event(event)  # a counter: cheap enough for the event loop
        await webhooks.on_event(event)

    return on_event
