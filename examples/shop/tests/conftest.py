"""The shop's test setup: trachea-login's pytest plugin, the shop app around its instance,
and a CRM that receives the shop's webhooks (a real app, in-process)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from shop.app import create_app
from shop.events import on_event_for
from shop.metrics import LoginMetrics
from shop.webhooks import WebhookSender, signature

pytest_plugins = ["trachea_login.testing"]

PAYMENTS_SECRET = "test-payments-secret"
CRM_SECRET = "test-crm-secret"


class Crm:
    """The receiving end of the shop's webhooks: checks each signature, keeps each body."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.failing = False
        self.app = FastAPI()
        self.app.post("/hooks/trachea")(self.hook)

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        if self.failing:
            return Response(status_code=500)
        assert request.headers["x-shop-signature"] == signature(CRM_SECRET, body)
        self.received.append(json.loads(body))
        return Response(status_code=204)


@pytest.fixture
def crm() -> Crm:
    return Crm()


@pytest.fixture
async def webhooks(crm: Crm) -> AsyncIterator[WebhookSender]:
    transport = httpx.ASGITransport(app=crm.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
        yield WebhookSender("http://crm/hooks/trachea", CRM_SECRET, client)


@pytest.fixture
def metrics() -> LoginMetrics:
    return LoginMetrics()


@pytest.fixture
def trachea_options(metrics: LoginMetrics, webhooks: WebhookSender) -> dict[str, Any]:
    return {"app_id": "shop", "on_event": on_event_for(metrics, webhooks)}


@pytest.fixture
def trachea_app(trachea: Any, metrics: LoginMetrics) -> FastAPI:
    return create_app(trachea, metrics=metrics, payments_secret=PAYMENTS_SECRET)
