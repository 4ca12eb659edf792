"""The shop: a FastAPI product app on trachea-login.

- ``/auth/...``: trachea-login's routes (sign-up, sign-in, refresh ...);
- ``GET /orders``: a product route for signed-in users on the pro plan;
- ``GET /reports/daily``: for the shop's nightly job, a service client with ``reports:read``;
- ``POST /payments/webhook``: the payment provider says a user paid: their plan becomes pro
  (``trachea.users.set_plan``);
- ``GET /metrics``: Prometheus-style sign-in counters, fed by trachea-login's events.

``create_app(trachea, ...)`` builds it around any instance (tests pass the one of
``trachea_login.testing``); ``shop.main`` builds the production one from the environment.
"""

from __future__ import annotations

import hmac
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from trachea_login import (
    CurrentClient,
    CurrentUser,
    TracheaError,
    TracheaLogin,
    trachea_exception_handler,
)
from trachea_login.admin import EmailRequiredForPaidPlan, NotAMember, UserNotFound

from .metrics import LoginMetrics
from .webhooks import signature


class PaymentEvent(BaseModel):
    """What the payment provider posts (a sketch of a real provider's webhook)."""

    uid: str
    plan: Literal["pro", "enterprise"]


def create_app(trachea: TracheaLogin, *, metrics: LoginMetrics, payments_secret: str) -> FastAPI:
    app = FastAPI(title="Shop", lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")
    app.add_exception_handler(TracheaError, trachea_exception_handler)

    @app.get("/orders")
    async def orders(user: CurrentUser = Depends(trachea.require(plan="pro"))) -> dict[str, Any]:
        found = trachea.database["orders"].find({"owner": user.uid}, {"_id": 0})
        return {"owner": user.uid, "orders": [order async for order in found]}

    @app.get("/reports/daily")
    async def daily_report(
        client: CurrentClient = Depends(trachea.require_scopes("reports:read")),
    ) -> dict[str, Any]:
        return {"for": client.client_id, "logins": sum(metrics.logins.values())}

    @app.post("/payments/webhook")
    async def payment_webhook(request: Request) -> dict[str, Any]:
        body = await request.body()
        sent = request.headers.get("x-payment-signature", "")
        if not hmac.compare_digest(sent, signature(payments_secret, body)):
            raise HTTPException(status_code=401, detail="bad signature")
        payment = PaymentEvent.model_validate_json(body)
        try:
            user = await trachea.users.set_plan(payment.uid, payment.plan)
        except (UserNotFound, NotAMember):
            raise HTTPException(status_code=404, detail="no such customer") from None
        except EmailRequiredForPaidPlan:
            raise HTTPException(status_code=409, detail="the customer has no email") from None
        return {"uid": user.id, "plan": user.plan}

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus_metrics() -> str:
        return metrics.render()

    return app
