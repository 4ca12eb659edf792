"""How long ``trachea_login.migrate.from_0_1`` takes, and how it grows with the database.

Two measurements, each over several rounds (median seconds):

- the committed 0.1.9 fixture (26 users, 39 refresh tokens, 4 apps): a dry run and a run on a
  freshly loaded copy each round;
- a synthetic 0.1.x database of ``--users`` native accounts (mixed-case e-mails, explicit null
  profile fields, one live 0.1.x refresh token each), to show the cost per document.

The embedded database (mongomock) runs every operation in-process, so the numbers are the
migration's own work plus mongomock's; on a real MongoDB add about one network round trip per
changed document (a run is one write per user and two per live token).

PYTHONPATH=. .venv/bin/python bench/migrate.py [--rounds 5] [--users 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import secrets
import statistics
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from bson import ObjectId
from mongomock_motor import AsyncMongoMockClient

from tests.legacy.fixtures import load_legacy_database
from trachea_login.migrate import from_0_1


async def synthetic(database: Any, users: int) -> None:
    now = datetime.now(timezone.utc)
    await database["apps"].insert_one({"app_id": "app1", "app_secret": "$2b$12$" + "h" * 53})
    people, tokens = [], []
    for number in range(users):
        email = f"User.{number}@Example.com"
        people.append(
            {
                "_id": ObjectId(),
                "email": email,
                "password_hash": "$2b$12$" + "p" * 53,
                "name": None,
                "avatar": None,
                "phone": None,
                "date_of_birth": None,
                "address": None,
                "provider": "username",
                "is_active": True,
                "apps": [{"app_id": "app1", "role": "member", "plan": "free", "joined_at": now}],
            }
        )
        raw = secrets.token_urlsafe(64)
        tokens.append(
            {
                "token_hash": hashlib.sha256(raw.encode()).hexdigest(),
                "firebase_uid": None,
                "username": email,
                "app_id": "app1",
                "expires_at": now + timedelta(days=20),
                "revoked": False,
                "created_at": now - timedelta(days=10),
            }
        )
    await database["users"].insert_many(people)
    await database["refresh_tokens"].insert_many(tokens)


async def timed(database: Any, *, dry_run: bool) -> float:
    start = time.perf_counter()
    await from_0_1(database, dry_run=dry_run)
    return time.perf_counter() - start


async def main(rounds: int, users: int) -> None:
    results: dict[str, list[float]] = {"fixture dry run": [], "fixture run": []}
    results[f"{users} users dry run"] = []
    results[f"{users} users run"] = []
    for _ in range(rounds):  # interleaved: each round measures every case once
        database = AsyncMongoMockClient()["bench"]
        await load_legacy_database(database, ttl_index=False)
        results["fixture dry run"].append(await timed(database, dry_run=True))
        results["fixture run"].append(await timed(database, dry_run=False))
        database = AsyncMongoMockClient()["bench"]
        await synthetic(database, users)
        results[f"{users} users dry run"].append(await timed(database, dry_run=True))
        results[f"{users} users run"].append(await timed(database, dry_run=False))
    for name, values in results.items():
        median = statistics.median(values)
        per_user = f"  ({median / users * 1e6:.0f} µs per user)" if "users" in name else ""
        print(f"{name:>24}: {median * 1000:8.1f} ms{per_user}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--users", type=int, default=2000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.users))
