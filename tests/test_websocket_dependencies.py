"""The dependencies on WebSocket routes (contract §8, last line): the handshake's Authorization
header, through a real uvicorn server and a real WebSocket client."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
import websockets
from fastapi import Depends, FastAPI, WebSocket
from websockets.exceptions import InvalidStatus

from trachea_login import CurrentUser, get_current_user, require_role

from .conftest import PASSWORD, bearer


def websocket_app(trachea: Any) -> FastAPI:
    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")

    @app.websocket("/ws/module")
    async def module_level(websocket: WebSocket, user: CurrentUser = Depends(get_current_user)):
        await websocket.accept()
        await websocket.send_json({"sub": user.sub, "via": "get_current_user"})
        await websocket.close()

    @app.websocket("/ws/instance")
    async def instance(websocket: WebSocket, user: CurrentUser = Depends(trachea.current_user)):
        await websocket.accept()
        await websocket.send_json({"sub": user.sub, "role": user.role})
        await websocket.close()

    @app.websocket("/ws/admin")
    async def admin(
        websocket: WebSocket, user: CurrentUser = Depends(require_role(role="admin"))
    ):  # pragma: no cover - a member never gets here
        await websocket.accept()
        await websocket.close()

    @app.websocket("/ws/optional")
    async def optional(
        websocket: WebSocket, user: CurrentUser | None = Depends(trachea.optional_user)
    ):
        await websocket.accept()
        await websocket.send_json({"sub": user.sub if user else None})
        await websocket.close()

    return app


@pytest.fixture
async def live(make_trachea, register) -> AsyncIterator[tuple[str, str]]:
    """A uvicorn server on a free port serving the app; yields (ws base URL, access token)."""
    await register("app1")
    trachea = make_trachea("app1")
    app = websocket_app(trachea)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started
    try:
        import httpx

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            response = await client.post(
                "/auth/register", json={"username": "alice", "password": PASSWORD}
            )
            token = response.json()["access_token"]
        yield f"ws://127.0.0.1:{port}", token
    finally:
        server.should_exit = True
        await task
        sock.close()


async def receive(url: str, token: str | None) -> dict[str, Any]:
    headers = bearer(token) if token else {}
    async with websockets.connect(url, additional_headers=headers) as ws:
        import json

        return json.loads(await ws.recv())


async def test_module_level_get_current_user_works_on_a_websocket_route(live):
    base, token = live
    assert await receive(f"{base}/ws/module", token) == {"sub": "alice", "via": "get_current_user"}


async def test_the_instance_dependency_works_on_a_websocket_route(live):
    base, token = live
    assert await receive(f"{base}/ws/instance", token) == {"sub": "alice", "role": "member"}


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-token", "bad-token"])
async def test_a_websocket_handshake_without_a_valid_token_is_refused(live, token):
    base, _ = live
    with pytest.raises(InvalidStatus) as refused:
        await receive(f"{base}/ws/instance", token)
    assert refused.value.response.status_code == 403  # the handshake is refused, never accepted


async def test_a_websocket_route_requiring_a_role_refuses_a_member(live):
    base, token = live
    with pytest.raises(InvalidStatus) as refused:
        await receive(f"{base}/ws/admin", token)
    assert refused.value.response.status_code == 403


async def test_the_optional_dependency_on_a_websocket_route(live):
    base, token = live
    assert await receive(f"{base}/ws/optional", None) == {"sub": None}
    assert await receive(f"{base}/ws/optional", token) == {"sub": "alice"}
