"""Full HTTP responses pinned byte for byte (volatile values masked), so that a restructuring
of the package cannot change what clients see. ``UPDATE_SNAPSHOTS=1`` rewrites the snapshot
after an intended change; review its diff like code.

Masked: access and refresh tokens, user and session ids, datetimes and the ``date`` header.
Everything else (status, every other header, the body's exact bytes) must match.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx

from .conftest import PASSWORD, bearer

SNAPSHOT = Path(__file__).parent / "snapshots" / "pinned_responses.json"
OPENAPI = "GET /openapi.json"

_MASKS = (
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), "<jwt>"),
    (re.compile(r'"refresh_token":"[^"]+"'), '"refresh_token":"<refresh>"'),
    (re.compile(r"\b[0-9a-f]{24}\b"), "<oid>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<session>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "<datetime>"),
)


def _masked(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def _record(response: httpx.Response) -> dict[str, Any]:
    headers = sorted(
        (name, value) for name, value in response.headers.items() if name not in ("date",)
    )
    return {
        "request": f"{response.request.method} {response.request.url.path}",
        "status": response.status_code,
        "headers": [list(pair) for pair in headers],
        "body": _masked(response.text),
    }


async def _scenario(served: Any) -> list[dict[str, Any]]:
    client = served.client
    out: list[httpx.Response] = []
    register = await client.post(
        "/auth/register", json={"username": "alice", "password": PASSWORD, "name": "Alice"}
    )
    out.append(register)
    tokens = register.json()
    out.append(
        await client.post("/auth/register", json={"username": "ALICE", "password": PASSWORD})
    )
    out.append(await client.post("/auth/register", json={"username": "bob", "password": "short"}))
    out.append(await client.post("/auth/register", json={"username": "bob", "role": "admin"}))
    out.append(await client.post("/auth/login", json={"username": "alice", "password": PASSWORD}))
    out.append(await client.post("/auth/login", json={"username": "alice", "password": "nope!!!!"}))
    out.append(await client.post("/auth/login", json={"username": "nobody", "password": PASSWORD}))
    out.append(await client.post("/auth/login", json={}))
    out.append(
        await client.post(
            "/auth/login", content=b"{not json", headers={"content-type": "application/json"}
        )
    )
    out.append(
        await client.post(
            "/auth/login",
            json={"username": "alice", "password": PASSWORD},
            headers={"X-App-Id": "no-such-app"},
        )
    )
    out.append(await client.post("/auth/login", content=b"x" * 70_000))
    auth = bearer(tokens["access_token"])
    out.append(await client.get("/auth/users/me", headers=auth))
    out.append(await client.get("/auth/users/me"))
    out.append(await client.get("/auth/users/me", headers=bearer("not-a-token")))
    out.append(
        await client.patch(
            "/auth/users/me",
            json={"name": "Alice A.", "phone": "+14155550100", "date_of_birth": "1990-04-01"},
            headers=auth,
        )
    )
    out.append(await client.patch("/auth/users/me", json={"plan": "pro"}, headers=auth))
    out.append(await client.patch("/auth/users/me/plan", json={"plan": "pro"}, headers=auth))
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    out.append(refreshed)
    out.append(await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}))
    out.append(await client.post("/auth/refresh", json={"refresh_token": "unknown-token"}))
    login = await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    out.append(await client.post("/auth/logout", headers=bearer(login.json()["access_token"])))
    out.append(await client.get("/auth/users/me", headers=bearer(login.json()["access_token"])))
    out.append(await client.get("/auth/health"))
    out.append(await client.get("/auth/config"))
    out.append(await client.get("/whoami", headers=bearer(login.json()["access_token"])))
    out.append(await client.get("/whoami"))
    again = await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
    out.append(await client.delete("/auth/users/me", headers=bearer(again.json()["access_token"])))
    out.append(await client.post("/auth/login", json={"username": "alice", "password": PASSWORD}))
    out.append(await client.get("/openapi.json"))
    return [_record(response) for response in out]


async def recorded(serve) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(what the scenario answered now, the snapshot), the snapshot rewritten first when
    ``UPDATE_SNAPSHOTS=1``."""
    served = await serve()
    records = await _scenario(served)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert len(records) == len(expected)
    return records, expected


async def test_responses_are_pinned(serve):
    records, expected = await recorded(serve)
    for got, want in zip(records, expected, strict=True):
        if got["request"] != OPENAPI:
            assert got == want, got["request"]


async def test_the_openapi_document_is_pinned(serve):
    """Separate from the responses: the document's exact bytes also depend on the FastAPI and
    pydantic that generate it (older ones write equivalent JSON Schema differently), so the
    run with the lowest declared versions (scripts/test-lowest) leaves this test out."""
    records, expected = await recorded(serve)
    pairs = zip(records, expected, strict=True)
    got, want = next((got, want) for got, want in pairs if got["request"] == OPENAPI)
    assert got == want
