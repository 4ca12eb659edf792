"""Native accounts: registration and sign-in with a username (or email) and password.

Unknown user and wrong password answer alike (401 ``INVALID_CREDENTIALS``, after the same hash
work and the same round trips); only the right password of a deactivated account learns 403
``USER_INACTIVE``. Identifiers are compared in their normalised form (:mod:`..identifiers`).
Every attempt is throttled on the account's budget and the client IP's (:mod:`.throttle`)
before the hash is checked.
"""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from ..config import TracheaSettings
from ..errors import ErrorCode, TracheaError
from ..identifiers import normalise_identifier
from ..methods import NATIVE_METHOD
from ..passwords import PasswordHasher, password_problem
from ..records import UserRecord
from ..store import Store
from .apps import AppGuard
from .audit import Auditor
from .context import ClientContext, SignIn
from .sessions import SessionService
from .throttle import LoginThrottle


class NativeAccounts:
    def __init__(
        self,
        settings: TracheaSettings,
        store: Store,
        hasher: PasswordHasher,
        guard: AppGuard,
        throttle: LoginThrottle,
        sessions: SessionService,
        auditor: Auditor,
    ) -> None:
        self.app_id = settings.app_id
        self._password_min_length = settings.password_min_length
        self._store = store
        self._hasher = hasher
        self._guard = guard
        self._throttle = throttle
        self._sessions = sessions
        self._auditor = auditor

    async def register(
        self, *, username: str, password: str, name: str | None, client: ClientContext
    ) -> SignIn:
        """Create a native account in this app and sign it in."""
        app = await self._guard.active(client)
        self._guard.require_method(app, NATIVE_METHOD)
        username = normalise_identifier(username)  # the request model did; stored so too
        problem = password_problem(
            password, min_length=self._password_min_length, username=username
        )
        if problem:
            raise TracheaError(ErrorCode.VALIDATION_ERROR, f"Invalid request: {problem}")
        # Every registration from one IP counts against the per-IP budget: each costs a hash,
        # and a flood must not starve logins (nor probe usernames without limit).
        reservation = await self._throttle.reserve_registration(client)
        try:
            user = await self._create(username, password, name)
        finally:
            await self._throttle.release_registration(reservation)
        await self._auditor.record(
            "registered", client, user_id=user.id, method=NATIVE_METHOD, new_account=True
        )
        return await self._sign_in(user, client)

    async def _create(self, username: str, password: str, name: str | None) -> UserRecord:
        # A cheap early answer; the unique index below is what actually guarantees it.
        if await self._store.users.find_by_username(username):
            raise TracheaError(ErrorCode.USERNAME_TAKEN)
        password_hash = await self._hasher.hash(password)
        try:
            return await self._store.users.insert(
                {
                    "username": username,
                    "password_hash": password_hash,
                    "name": name,
                    "provider": NATIVE_METHOD,
                },
                app_id=self.app_id,
            )
        except DuplicateKeyError:
            raise TracheaError(ErrorCode.USERNAME_TAKEN) from None

    async def login(
        self, *, identifier: str, password: str, by_email: bool, client: ClientContext
    ) -> SignIn:
        """Sign in by username or email (``by_email``) and password."""
        app = await self._guard.active(client)
        self._guard.require_method(app, NATIVE_METHOD)
        identifier = normalise_identifier(identifier)
        users = self._store.users
        user = await (  # email_unique / username_unique
            users.find_by_email(identifier) if by_email else users.find_by_username(identifier)
        )
        # The budget is the account's (any app, any spelling), or the identifier's own.
        attempt = await self._throttle.reserve_password_attempt(user, identifier, client)
        failed = False
        try:
            stored_hash, new_hash = await self._check_password(user, password, client)
        except TracheaError:
            failed = True
            raise
        finally:
            await self._throttle.release_password_attempt(
                attempt, failed=failed, forget_failures=user is not None and user.is_active
            )
        assert user is not None  # _check_password refuses a missing account
        if not user.is_active:
            await self._auditor.record(
                "login_failed",
                client,
                user_id=user.id,
                method=NATIVE_METHOD,
                reason="user_inactive",
            )
            raise TracheaError(ErrorCode.USER_INACTIVE)
        if new_hash:
            await self._store.users.replace_password_hash(user.id, stored_hash, new_hash)
        return await self._sign_in(user, client)

    async def _check_password(
        self, user: UserRecord | None, password: str, client: ClientContext
    ) -> tuple[str, str | None]:
        """(stored hash, upgraded hash or None); ``INVALID_CREDENTIALS`` otherwise, after the
        same hash work whether or not the account exists."""
        stored_hash = user.password_hash if user else None
        ok, new_hash = await self._hasher.verify(password, stored_hash)
        if not ok or user is None or stored_hash is None:
            await self._auditor.record(
                "login_failed",
                client,
                user_id=user.id if user else None,
                method=NATIVE_METHOD,
                reason="unknown_user" if user is None else "wrong_password",
            )
            raise TracheaError(ErrorCode.INVALID_CREDENTIALS)
        return stored_hash, new_hash

    async def _sign_in(self, user: UserRecord, client: ClientContext) -> SignIn:
        member = await join_app(
            self._store,
            user,
            self.app_id,
            auditor=self._auditor,
            method=NATIVE_METHOD,
            client=client,
        )
        tokens = await self._sessions.start(member, NATIVE_METHOD, client)
        return SignIn(tokens=tokens, user=member, provider=NATIVE_METHOD)


async def join_app(
    store: Store,
    user: UserRecord,
    app_id: str,
    *,
    auditor: Auditor | None = None,
    method: str | None = None,
    client: ClientContext | None = None,
) -> UserRecord:
    """The user as a member of ``app_id``: a first sign-in appends the default entry.

    With ``auditor``, joining is the ``registered`` event: the person became a user of this
    app, by signing up or by a first sign-in with an account they made elsewhere
    (``new_account`` tells which: a new account belongs to no app yet)."""
    if user.membership(app_id) is not None:
        return user
    joined = await store.users.join_app(user.id, app_id)
    if joined is None:
        raise TracheaError(ErrorCode.INVALID_CREDENTIALS)
    if auditor is not None:
        await auditor.record(
            "registered",
            client or ClientContext(),
            user_id=joined.id,
            method=method,
            new_account=not user.apps,
        )
    return joined
