"""Brute force: failed logins are counted per account (every app, every spelling) and per
(app, IP) in MongoDB; past the threshold 429 with Retry-After, growing delays, never a permanent
lockout (ASVS V6.3, NIST SP 800-63B §5.2.2)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from trachea_login.store import ThrottleRule
from trachea_login.store.login_failures import RESERVATION_LEASE

from ..conftest import PASSWORD, assert_error, raw_user


async def fail(served, username="alice", ip=None, headers=None):
    return await served.client.post(
        "/auth/login",
        json={"username": username, "password": "wrong password!"},
        headers=headers or {},
    )


def let_block_pass(served, seconds):
    """Let a block of ``seconds`` pass, as time would (the counters stay)."""
    served.clock.advance(seconds=seconds)


async def test_throttled_after_the_threshold_even_with_the_right_password(serve):
    served = await serve(login_max_failures=3)
    await served.register_user("alice")
    for _ in range(3):
        assert_error(await fail(served), 401, "INVALID_CREDENTIALS")
    throttled = await served.login("alice", PASSWORD)
    body = assert_error(throttled, 429, "TOO_MANY_ATTEMPTS")
    assert "access_token" not in throttled.text and body["error"] == "TOO_MANY_ATTEMPTS"


async def test_unknown_identifiers_are_throttled_the_same_way(serve):
    served = await serve(login_max_failures=3)
    await served.register_user("alice")
    for name in ("alice", "nobody"):
        for _ in range(3):
            await fail(served, name)
    known = await fail(served, "alice")
    unknown = await fail(served, "nobody")
    assert_error(known, 429, "TOO_MANY_ATTEMPTS")
    assert_error(unknown, 429, "TOO_MANY_ATTEMPTS")
    assert known.json() == unknown.json()
    assert known.headers["retry-after"] == unknown.headers["retry-after"]


async def test_the_delay_grows_with_further_failures_and_never_locks_forever(serve):
    served = await serve(login_max_failures=2, login_failure_window_minutes=15)
    await served.register_user("alice")
    await fail(served)
    await fail(served)
    delays = []
    for _ in range(4):
        response = await fail(served)
        assert_error(response, 429, "TOO_MANY_ATTEMPTS")
        delays.append(int(response.headers["retry-after"]))
        let_block_pass(served, delays[-1])
        await fail(served)  # one more failure once the block has passed
    assert delays == sorted(delays) and delays[-1] > delays[0], delays
    assert max(delays) <= 15 * 60
    # When the block has passed, the right password works again (no permanent lockout)...
    let_block_pass(served, 2 * delays[-1])
    assert (await served.login("alice", PASSWORD)).status_code == 200
    # ...and success resets the identifier's counter.
    assert (await fail(served)).status_code == 401


async def test_a_window_that_ended_starts_afresh(serve):
    served = await serve(login_max_failures=2)
    await served.register_user("alice")
    await fail(served)
    await fail(served)
    collection = served.trachea.store.login_failures.collection
    served.clock.advance(minutes=15, seconds=1)  # the window (and any block) has ended
    assert_error(await fail(served), 401, "INVALID_CREDENTIALS")
    doc = await collection.find_one({"_id": {"$regex": "^account:"}})
    assert doc["failures"] == 1


async def test_counters_live_in_mongodb_and_are_shared_by_every_worker(serve, make_trachea):
    served = await serve(login_max_failures=3)
    await served.register_user("alice")
    other_worker = await serve(login_max_failures=3, register_first=False)
    for worker in (served, other_worker, served):
        await fail(worker)
    assert_error(await other_worker.login("alice", PASSWORD), 429, "TOO_MANY_ATTEMPTS")
    info = await served.trachea.store.login_failures.collection.index_information()
    assert info["expires_at_ttl"]["expireAfterSeconds"] == 0
    # Identifiers are not kept in clear.
    docs = [d async for d in served.trachea.store.login_failures.collection.find({})]
    assert docs and all("alice" not in str(doc) for doc in docs)


async def test_one_ip_spraying_many_usernames_is_throttled(serve):
    served = await serve(login_max_failures=100, login_max_failures_per_ip=5)
    await served.register_user("alice")
    for i in range(5):
        assert_error(await fail(served, f"user{i}"), 401, "INVALID_CREDENTIALS")
    assert_error(await served.login("alice", PASSWORD), 429, "TOO_MANY_ATTEMPTS")


async def test_x_forwarded_for_from_an_untrusted_client_cannot_reset_its_counter(serve):
    served = await serve(login_max_failures=100, login_max_failures_per_ip=3)
    await served.register_user("alice")
    for i in range(3):
        await fail(served, f"user{i}", headers={"X-Forwarded-For": f"198.51.100.{i}"})
    response = await fail(served, "user9", headers={"X-Forwarded-For": "198.51.100.99"})
    assert_error(response, 429, "TOO_MANY_ATTEMPTS")


async def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(serve):
    served = await serve(
        login_max_failures=100,
        login_max_failures_per_ip=3,
        trusted_proxies=["203.0.113.0/24"],  # the test client's address is 203.0.113.7
    )
    await served.register_user("alice")
    for i in range(3):
        await fail(served, f"user{i}", headers={"X-Forwarded-For": "198.51.100.1"})
    blocked = await fail(served, "user9", headers={"X-Forwarded-For": "198.51.100.1"})
    assert_error(blocked, 429, "TOO_MANY_ATTEMPTS")
    # Another client behind the same proxy is not blocked.
    other = await served.client.post(
        "/auth/login",
        json={"username": "alice", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.2"},
    )
    assert other.status_code == 200
    # A client-supplied first hop before the real one is ignored (right-most untrusted wins).
    spoofed = await fail(served, "user9", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.1"})
    assert_error(spoofed, 429, "TOO_MANY_ATTEMPTS")


async def test_a_parallel_burst_cannot_outrun_the_counter(serve):
    """Attempts are reserved before the slow hash: of 30 simultaneous guesses only the
    threshold's worth are checked, and the right password sent in the burst gets no tokens."""
    served = await serve(login_max_failures=3)
    await served.register_user("alice")
    guesses = [fail(served) for _ in range(30)]
    right = served.login("alice", PASSWORD)
    responses = await asyncio.gather(*guesses, right)
    statuses = [r.status_code for r in responses]
    assert statuses.count(401) <= 3, statuses
    assert statuses.count(429) >= 27
    assert responses[-1].status_code == 429
    assert "access_token" not in responses[-1].text


async def test_a_successful_login_clears_the_identifiers_failures(serve):
    served = await serve(login_max_failures=3)
    await served.register_user("alice")
    await fail(served)
    await fail(served)
    assert (await served.login("alice", PASSWORD)).status_code == 200
    # Two more failures would have reached the threshold without the reset.
    await fail(served)
    await fail(served)
    assert (await served.login("alice", PASSWORD)).status_code == 200


async def test_registrations_from_one_ip_are_limited(serve):
    served = await serve(login_max_failures_per_ip=3)
    for i in range(3):
        await served.register_user(f"user{i}")
    response = await served.client.post(
        "/auth/register", json={"username": "user9", "password": PASSWORD}
    )
    assert_error(response, 429, "TOO_MANY_ATTEMPTS")
    assert await raw_user(served, username="user9") is None


# -- one budget per account (contract §4, NIST SP 800-63B §5.2.2) ------------------------------


async def test_one_account_has_one_budget_across_apps_and_spellings(serve):
    app1 = await serve("app1", login_max_failures=4)
    app2 = await serve("app2", login_max_failures=4)
    await app1.register_user("alice")
    await app1.trachea.store.users.collection.update_one(
        {"username": "alice"}, {"$set": {"email": "alice@example.com"}}
    )
    await fail(app1, "alice")
    await fail(app2, "ALICE")
    for spelling in ("Alice@Example.com", "alice@example.com"):
        response = await app2.client.post(
            "/auth/login", json={"email": spelling, "password": "wrong password!"}
        )
        assert_error(response, 401, "INVALID_CREDENTIALS")
    # Four failures, four spellings, two apps: the account's budget is spent everywhere.
    for served, name in ((app1, "ａｌｉｃｅ"), (app2, "alice")):  # full width is the same name
        assert_error(await served.login(name, PASSWORD), 429, "TOO_MANY_ATTEMPTS")


async def test_an_unknown_identifier_has_one_budget_for_all_its_spellings(serve):
    served = await serve(login_max_failures=2)
    await fail(served, "Nobody")
    await fail(served, "NOBODY")
    assert_error(await fail(served, "ｎｏｂｏｄｙ"), 429, "TOO_MANY_ATTEMPTS")
    # Another unknown identifier is untouched.
    assert_error(await fail(served, "somebody"), 401, "INVALID_CREDENTIALS")


async def test_a_known_and_an_unknown_identifier_use_the_same_round_trips(serve, mongo_client):
    served = await serve(login_max_failures=5)
    await served.register_user("alice")
    seen = []
    for name in ("alice", "nobody"):
        await served.trachea.service.auditor.flush()
        start = len(mongo_client.operations)
        response = await fail(served, name)
        # Audit events are stored off the response path (the writer's own task).
        ours = [op for op in mongo_client.operations[start:] if op[0] != "audit_events"]
        seen.append((response.status_code, response.json(), sorted(ours), response.headers))
    (known, unknown) = seen
    assert known[:3] == unknown[:3]
    assert dict(known[3]) == dict(unknown[3])


# -- reservations are leases; a window restart keeps attempts in flight ----------------------

RULE = ThrottleRule(max_failures=1, window=timedelta(minutes=15))


async def test_a_reservation_never_released_frees_its_slot_after_its_lease(serve):
    """A process that dies between reserve and release (never releasing) holds the slot for
    the lease only, not until the window ends."""
    served = await serve()
    counters = served.trachea.store.login_failures
    crashed = await counters.reserve("account:x", RULE, counters.new_token())
    assert crashed.wait == 0  # admitted, then the process "dies"
    assert (await counters.reserve("account:x", RULE, counters.new_token())).wait > 0
    served.clock.advance(seconds=RESERVATION_LEASE.total_seconds() + 1)
    later = await counters.reserve("account:x", RULE, counters.new_token())
    assert later.wait == 0
    assert crashed.token in later.stale
    await counters.release(["account:x"], later, failed=False)
    doc = await counters.collection.find_one({"_id": "account:x"})
    assert doc["leases"] == {}  # the expired lease was cleaned up with the release


async def test_a_window_restart_keeps_the_attempts_still_in_flight(serve):
    served = await serve()
    counters = served.trachea.store.login_failures
    opening = await counters.reserve("account:y", RULE, counters.new_token())
    await counters.release(["account:y"], opening, failed=False)  # the window opens here
    served.clock.advance(minutes=14, seconds=55)
    in_flight = await counters.reserve("account:y", RULE, counters.new_token())
    assert in_flight.wait == 0  # its password check is still running when...
    served.clock.advance(seconds=10)  # ...the window ends; the next attempt restarts it
    second = await counters.reserve("account:y", RULE, counters.new_token())
    # One attempt at a time still: the restart did not forget the one in flight.
    assert second.wait > 0
    doc = await counters.collection.find_one({"_id": "account:y"})
    assert in_flight.token in doc["leases"] and doc["failures"] == 0
    await counters.release(["account:y"], in_flight, failed=True)
    doc = await counters.collection.find_one({"_id": "account:y"})
    assert doc["failures"] == 1 and doc["leases"] == {}
