"""Sending trachea-login's events to another system as signed webhooks.

:meth:`WebhookSender.on_event` is an *async* ``on_event`` callback: trachea-login awaits it off
the response path, so a slow or failing receiver never slows or fails a sign-in (a callback
that raises is logged by trachea-login). The body is the event as JSON; the receiver checks
``X-Shop-Signature`` (HMAC-SHA256 of the body with the shared secret) before trusting it.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from trachea_login import TracheaEvent

#: The events this shop's CRM wants: a new customer, a new sign-in, a plan change.
FORWARDED = frozenset({"registered", "login", "plan_changed"})


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    def __init__(self, url: str, secret: str, client: httpx.AsyncClient) -> None:
        self.url = url
        self._secret = secret
        self._client = client

    async def on_event(self, event: TracheaEvent) -> None:
        if event.name not in FORWARDED:
            return
        body = json.dumps(
            {
                "event": event.name,
                "app_id": event.app_id,
                "user_id": event.user_id,
                "session_id": event.session_id,
                "at": event.at.isoformat(),
                "data": dict(event.data),
            },
            separators=(",", ":"),
        ).encode()
        response = await self._client.post(
            self.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Shop-Signature": signature(self._secret, body),
            },
            timeout=5.0,
        )
        response.raise_for_status()  # a failure is logged by trachea-login, nothing more
