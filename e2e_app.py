"""The demo app (contract §7): ``uvicorn e2e_app:app`` with no environment at all.

With no ``TRACHEA_MONGO_URI`` it runs on the embedded in-memory database, where the instance
registers its own app ``Trachea-Test-App`` at startup, as every instance on ``mongomock://``
does; the demo only chooses the methods (all five of :data:`DEMO_METHODS`). Pointed at a real
MongoDB (``TRACHEA_MONGO_URI=mongodb://...``) nothing registers itself: register the app with
the CLI. Its plan policy allows every plan change (a real app would check a payment ``proof``).
"""

from __future__ import annotations

import os
import secrets

from fastapi import Depends, FastAPI

from trachea_login import (
    CurrentUser,
    TracheaError,
    TracheaLogin,
    get_current_user,
    require_role,
    trachea_exception_handler,
)

DEMO_APP_ID = "Trachea-Test-App"
DEMO_APP_SECRET = "demo-app-secret-for-the-embedded-database"  # noqa: S105 - in-memory demo only
DEMO_METHODS = ["username", "password", "google", "apple", "facebook"]


def _default(name: str, value: str) -> str | None:
    """A demo default, used only when the environment does not set the variable."""
    return None if os.environ.get(f"TRACHEA_{name}") else value


def allow_every_plan_change(user: CurrentUser, new_plan: str, proof: str | None) -> bool:
    """The demo's plan policy: anyone may pick any plan (check a payment here in a real app)."""
    return True


embedded = not os.environ.get("TRACHEA_MONGO_URI") or os.environ["TRACHEA_MONGO_URI"].startswith(
    "mongomock://"
)

trachea = TracheaLogin(
    app_id=_default("APP_ID", DEMO_APP_ID),
    app_secret=_default("APP_SECRET", DEMO_APP_SECRET),
    mongo_uri=_default("MONGO_URI", "mongomock://"),
    # A fresh key per process is fine for an in-memory demo: its users vanish on exit anyway.
    jwt_secret=_default("JWT_SECRET", secrets.token_urlsafe(48)) if embedded else None,
    firebase_project_id=_default("FIREBASE_PROJECT_ID", "demo-trachea"),
    # Used on the embedded database only, where the instance registers its own app.
    embedded_auth_methods=None if os.environ.get("TRACHEA_EMBEDDED_AUTH_METHODS") else DEMO_METHODS,
    plan_policy=allow_every_plan_change,
)

app = FastAPI(title="trachea-login demo", lifespan=trachea.lifespan)
app.include_router(trachea.router, prefix="/auth")
app.add_exception_handler(TracheaError, trachea_exception_handler)


@app.get("/")
async def root() -> dict[str, str]:
    return {"status": "ok", "app_id": trachea.app_id, "docs": "/docs"}


@app.get("/protected")
async def protected(user: CurrentUser = Depends(get_current_user)) -> dict[str, object]:
    return {
        "sub": user.sub,
        "uid": user.uid,
        "app_id": user.app_id,
        "role": user.role,
        "plan": user.plan,
        "provider": user.provider,
        "session_id": user.session_id,
        "claims": user.claims,
    }


@app.get("/members-only")
async def members_only(user: CurrentUser = Depends(require_role(role="member"))) -> dict[str, str]:
    return {"message": f"Welcome, member {user.sub}"}


@app.get("/pro-only")
async def pro_only(user: CurrentUser = Depends(require_role(plan="pro"))) -> dict[str, str]:
    return {"message": f"Welcome, pro user {user.sub}"}


@app.get("/admin-only")
async def admin_only(user: CurrentUser = Depends(require_role(role="admin"))) -> dict[str, str]:
    return {"message": f"Welcome, admin {user.sub}"}
