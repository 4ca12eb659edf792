"""The production app: ``uvicorn shop.main:app``, configured by ``TRACHEA_*`` variables (see
trachea-login's docs/configuration.md) and the shop's own ``SHOP_*`` ones."""

from __future__ import annotations

import os

import httpx

from trachea_login import TracheaLogin

from .app import create_app
from .events import on_event_for
from .metrics import LoginMetrics
from .webhooks import WebhookSender

metrics = LoginMetrics()
webhooks = WebhookSender(
    os.environ.get("SHOP_CRM_WEBHOOK_URL", "https://crm.example.com/hooks/trachea"),
    os.environ.get("SHOP_CRM_WEBHOOK_SECRET", ""),
    httpx.AsyncClient(),
)
trachea = TracheaLogin(on_event=on_event_for(metrics, webhooks))  # TRACHEA_APP_ID, ...
app = create_app(
    trachea, metrics=metrics, payments_secret=os.environ.get("SHOP_PAYMENTS_SECRET", "")
)
