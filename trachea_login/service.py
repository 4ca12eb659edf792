"""Sign-in, refresh, logout and profile rules for one app. No HTTP here.

The data path of every operation reads top to bottom: check the app, verify the credential
(passwords or Firebase), touch the store with one atomic operation per rule, issue tokens.
Errors are ``TracheaError`` with a stable code; routes turn them into responses.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from bson import ObjectId
from pymongo.errors import DuplicateKeyError, PyMongoError

from .config import TracheaSettings
from .errors import ErrorCode, TracheaError
from .firebase import FirebaseIdentity, FirebaseVerifier
from .levels import PAID_PLANS, PLANS
from .passwords import PasswordHasher, password_problem
from .store import AppRecord, Store
from .store._time import utcnow
from .store.login_failures import ThrottleRule, counter_key
from .store.refresh_tokens import ACTIVE, ROTATED, hash_refresh_token
from .store.users import DEFAULT_PLAN, DEFAULT_ROLE, app_entry, new_app_entry, object_id
from .tokens import AccessTokens, CurrentUser, new_refresh_token

logger = logging.getLogger("trachea_login")

NATIVE_METHOD = "username"
FIREBASE_METHODS = frozenset({"google", "apple", "facebook", "password"})

PlanPolicy = Callable[[CurrentUser, str, "str | None"], "bool | Awaitable[bool]"]


@dataclass(frozen=True)
class ClientContext:
    """Who is calling, as far as the transport can tell (for throttling, origin and audit)."""

    ip: str | None = None
    user_agent: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the tokens, and the user as the login response shows them."""

    tokens: IssuedTokens
    user: dict[str, Any]
    provider: str


class AuthService:
    """The rules of contract §4 for one app (``settings.app_id``)."""

    def __init__(
        self,
        settings: TracheaSettings,
        store: Store,
        tokens: AccessTokens,
        hasher: PasswordHasher,
        firebase: FirebaseVerifier | None = None,
        plan_policy: PlanPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.app_id = settings.app_id
        self.store = store
        self.tokens = tokens
        self.hasher = hasher
        self.firebase = firebase
        self.plan_policy = plan_policy
        window = timedelta(minutes=settings.login_failure_window_minutes)
        self._identifier_rule = ThrottleRule(settings.login_max_failures, window)
        self._ip_rule = ThrottleRule(settings.login_max_failures_per_ip, window)
        self.refresh_lifetime = timedelta(days=settings.refresh_token_expire_days)
        #: The app document as last read (for the CORS helper); refreshed by every sign-in.
        self.app_record: AppRecord | None = None

    # -- the app -----------------------------------------------------------------------------

    async def check_requested_app(self, requested_app_id: str | None) -> None:
        """A client may name the app (body ``app_id`` or ``X-App-Id``); it must be this one."""
        if requested_app_id is None or requested_app_id == self.app_id:
            return
        if await self.store.apps.get(requested_app_id) is None:
            raise TracheaError(ErrorCode.APP_NOT_FOUND)
        raise TracheaError(ErrorCode.APP_MISMATCH)

    async def check_app(self, requested_app_id: str | None) -> AppRecord:
        """For routes of signed-in users: the app named (if any) is this one, and is active."""
        await self.check_requested_app(requested_app_id)
        return await self.active_app()

    async def active_app(self, client: ClientContext | None = None) -> AppRecord:
        """This app's record; 403 when it is disabled or the browser origin is not allowed."""
        app = await self.store.apps.get(self.app_id)
        self.app_record = app
        if app is None:
            # Registered at startup, removed since: the operator must fix it.
            raise TracheaError(ErrorCode.APP_NOT_FOUND)
        if not app.is_active:
            raise TracheaError(ErrorCode.APP_INACTIVE)
        if client is not None and client.origin and not origin_allowed(client.origin, app):
            raise TracheaError(ErrorCode.ORIGIN_NOT_ALLOWED)
        return app

    @staticmethod
    def require_method(app: AppRecord, method: str) -> None:
        if method not in app.allowed_auth_methods:
            raise TracheaError(
                ErrorCode.AUTH_METHOD_NOT_ALLOWED,
                f"Sign-in with '{method}' is not enabled for this app.",
            )

    # -- native accounts ---------------------------------------------------------------------

    async def register(
        self, *, username: str, password: str, name: str | None, client: ClientContext
    ) -> SignIn:
        app = await self.active_app(client)
        self.require_method(app, NATIVE_METHOD)
        problem = password_problem(
            password, min_length=self.settings.password_min_length, username=username
        )
        if problem:
            raise TracheaError(ErrorCode.VALIDATION_ERROR, f"Invalid request: {problem}")
        # Every registration from one IP counts against the per-IP budget: each costs a hash,
        # and a flood must not starve logins (nor probe usernames without limit).
        failures = self.store.login_failures
        register_key = counter_key("register", self.app_id, client.ip or "unknown")
        wait = await failures.reserve(register_key, self._ip_rule)
        if wait:
            await self._audit("register_throttled", client, method=NATIVE_METHOD)
            raise TracheaError(ErrorCode.TOO_MANY_ATTEMPTS, retry_after=wait)
        try:
            user = await self._create_native_user(username, password, name)
        finally:
            await failures.release(register_key, self._ip_rule, failed=True)
        await self._audit("register", client, user_id=user["_id"], method=NATIVE_METHOD)
        return await self._sign_in(user, NATIVE_METHOD, client)

    async def _create_native_user(
        self, username: str, password: str, name: str | None
    ) -> dict[str, Any]:
        # A cheap early answer; the unique index below is what actually guarantees it.
        if await self.store.users.find_by_username(username):
            raise TracheaError(ErrorCode.USERNAME_TAKEN)
        password_hash = await self.hasher.hash(password)
        try:
            return await self.store.users.insert(
                {
                    "username": username.lower(),
                    "password_hash": password_hash,
                    "name": name,
                    "provider": NATIVE_METHOD,
                    "apps": [new_app_entry(self.app_id)],
                }
            )
        except DuplicateKeyError:
            raise TracheaError(ErrorCode.USERNAME_TAKEN) from None

    async def login_with_password(
        self, *, identifier: str, password: str, by_email: bool, client: ClientContext
    ) -> SignIn:
        """Native login by username or email. Unknown user and wrong password answer alike."""
        app = await self.active_app(client)
        self.require_method(app, NATIVE_METHOD)
        identifier = identifier.lower()
        id_key = counter_key("id", self.app_id, identifier)
        ip_key = counter_key("ip", self.app_id, client.ip or "unknown")
        await self._reserve_attempt(id_key, ip_key, client)
        failed = False
        try:
            user, stored_hash, new_hash = await self._check_password(
                identifier, password, by_email, client
            )
        except TracheaError:
            failed = True
            raise
        finally:
            await self.store.login_failures.release(id_key, self._identifier_rule, failed=failed)
            await self.store.login_failures.release(ip_key, self._ip_rule, failed=failed)
        if not user.get("is_active", True):
            await self._audit(
                "login_failed",
                client,
                user_id=user["_id"],
                method=NATIVE_METHOD,
                reason="user_inactive",
            )
            raise TracheaError(ErrorCode.USER_INACTIVE)
        await self.store.login_failures.clear(id_key)
        if new_hash:
            await self.store.users.replace_password_hash(user["_id"], stored_hash, new_hash)
        user = await self._join_app(user)
        return await self._sign_in(user, NATIVE_METHOD, client)

    async def _check_password(
        self, identifier: str, password: str, by_email: bool, client: ClientContext
    ) -> tuple[dict[str, Any], str, str | None]:
        """(user, stored hash, upgraded hash or None); ``INVALID_CREDENTIALS`` otherwise, after
        the same hash work whether or not the account exists."""
        users = self.store.users
        user = await (
            users.find_by_email(identifier) if by_email else users.find_by_username(identifier)
        )
        stored_hash = user.get("password_hash") if user else None
        ok, new_hash = await self.hasher.verify(password, stored_hash)
        if not ok or user is None or stored_hash is None:
            await self._audit(
                "login_failed",
                client,
                user_id=user["_id"] if user else None,
                method=NATIVE_METHOD,
                reason="unknown_user" if user is None else "wrong_password",
            )
            raise TracheaError(ErrorCode.INVALID_CREDENTIALS)
        return user, stored_hash, new_hash

    async def _reserve_attempt(self, id_key: str, ip_key: str, client: ClientContext) -> None:
        """Reserve a password attempt for the identifier and the client IP, or answer 429."""
        failures = self.store.login_failures
        wait = await failures.reserve(id_key, self._identifier_rule)
        if not wait:
            wait = await failures.reserve(ip_key, self._ip_rule)
            if wait:
                await failures.release(id_key, self._identifier_rule, failed=False)
        if wait:
            await self._audit("login_throttled", client, method=NATIVE_METHOD)
            raise TracheaError(ErrorCode.TOO_MANY_ATTEMPTS, retry_after=wait)

    # -- Firebase accounts -------------------------------------------------------------------

    async def login_with_firebase(self, *, firebase_token: str, client: ClientContext) -> SignIn:
        app = await self.active_app(client)
        if self.firebase is None:
            # No Firebase configured: startup refuses apps that allow Firebase methods, so
            # reaching here means the app allows none of them.
            raise TracheaError(
                ErrorCode.AUTH_METHOD_NOT_ALLOWED, "Firebase sign-in is not enabled for this app."
            )
        try:
            identity = await self.firebase.verify(firebase_token)
            # The method comes from the verified token's sign_in_provider claim, never the
            # request.
            self.require_method(app, identity.provider)
        except TracheaError as exc:
            await self._audit("login_failed", client, method="firebase", reason=exc.code.value)
            raise
        user = await self._upsert_firebase_user(identity, client)
        if not user.get("is_active", True):
            await self._audit(
                "login_failed",
                client,
                user_id=user["_id"],
                method=identity.provider,
                reason="user_inactive",
            )
            raise TracheaError(ErrorCode.USER_INACTIVE)
        user = await self._join_app(user)
        return await self._sign_in(user, identity.provider, client)

    async def _upsert_firebase_user(
        self, identity: FirebaseIdentity, client: ClientContext
    ) -> dict[str, Any]:
        """Find or create the one user document of a Firebase identity.

        An identity links to an existing account by email only when Firebase marks the email
        verified and the account has no Firebase identity yet. When that account's own email
        was never proven (typed into the plan route), whoever set it may not own it: the link
        removes the account's password and revokes its sessions, so a pre-registered account
        cannot be used to hijack the real owner's sign-in. An unverified email that another
        account holds never links: the new account is created without that email.
        Concurrent first logins of one uid create one document (unique index, then retry).
        """
        users = self.store.users
        profile = _firebase_profile(identity)
        for _attempt in range(4):
            user = await users.find_by_firebase_uid(identity.uid)  # firebase_uid_unique
            if user is not None:
                return await self._fill_profile(user, identity, profile)
            if identity.email:
                holder = await users.find_by_email(identity.email)  # email_unique
                if holder is not None:
                    if identity.email_verified and "firebase_uid" not in holder:
                        linked = await self._link_firebase(holder, identity, profile, client)
                        if linked is not None:
                            return linked
                        continue  # the holder changed under us: look again
                    if identity.email_verified and not holder.get("email_verified"):
                        # Another Firebase account holds the address unverified: the proven
                        # owner takes the address (the holder keeps its account).
                        await users.evict_unverified_email(holder["_id"], identity.email)
                        await self._audit("email_evicted", client, user_id=holder["_id"])
                        continue
                    profile = {**profile, "email": None, "email_verified": None}
            try:
                return await users.insert(
                    {**profile, "firebase_uid": identity.uid, "provider": identity.provider}
                )
            except DuplicateKeyError:
                # A concurrent first login of the same uid (or the email got taken): the next
                # pass finds what the other request created.
                continue
        raise TracheaError(ErrorCode.SERVICE_UNAVAILABLE, retry_after=1)

    async def _link_firebase(
        self,
        holder: dict[str, Any],
        identity: FirebaseIdentity,
        profile: dict[str, Any],
        client: ClientContext,
    ) -> dict[str, Any] | None:
        """Attach ``identity`` to ``holder`` in one conditional update (only while the holder
        still has no Firebase uid and still holds that email)."""
        fields = {k: v for k, v in profile.items() if v is not None and holder.get(k) is None}
        fields.update(firebase_uid=identity.uid, email_verified=True)
        unproven = not holder.get("email_verified")
        unset = ["password_hash"] if unproven and "password_hash" in holder else []
        linked = await self.store.users.link_firebase(
            holder["_id"], identity.email or "", fields, unset
        )
        if linked is not None:
            revoked = await self._end_sessions(holder["_id"]) if unproven else 0
            await self._audit(
                "account_linked",
                ClientContext(),
                user_id=holder["_id"],
                method=identity.provider,
                password_removed=bool(unset),
                revoked=revoked,
            )
        return linked

    async def _fill_profile(
        self, user: dict[str, Any], identity: FirebaseIdentity, profile: dict[str, Any]
    ) -> dict[str, Any]:
        """Fill fields the account lacks from the token; never erase or overwrite (Apple sends
        the name only once, and the user may have edited theirs)."""
        fill = {
            key: value
            for key, value in profile.items()
            if value is not None
            and key not in ("email", "email_verified")
            and user.get(key) is None
        }
        newly_verified = bool(
            identity.email
            and identity.email_verified
            and not user.get("email_verified")
            and user.get("email") in (None, identity.email)
        )
        if newly_verified:
            fill.update(email=identity.email, email_verified=True)
            if user.get("email"):
                # Firebase gave this uid to the proven owner of an address that was unproven
                # until now (with "one account per email", the owner's Google sign-in takes
                # over an unverified email+password account): whoever held the account before
                # loses every session.
                await self._end_sessions(user["_id"])
        if not fill:
            return user
        try:
            return await self.store.users.update_fields(user["_id"], fill) or user
        except DuplicateKeyError:  # the email belongs to another account: keep the rest
            fill.pop("email", None)
            fill.pop("email_verified", None)
            return await self.store.users.update_fields(user["_id"], fill) or user

    async def _end_sessions(self, user_id: ObjectId) -> int:
        """Revoke every refresh token of the account, in every app."""
        return await self.store.refresh_tokens.revoke_all(user_id)

    # -- sessions ----------------------------------------------------------------------------

    async def _join_app(self, user: dict[str, Any]) -> dict[str, Any]:
        if app_entry(user, self.app_id) is not None:
            return user
        joined = await self.store.users.join_app(user["_id"], self.app_id)
        if joined is None:
            raise TracheaError(ErrorCode.INVALID_CREDENTIALS)
        return joined

    async def _sign_in(self, user: dict[str, Any], provider: str, client: ClientContext) -> SignIn:
        session_id = uuid.uuid4().hex
        tokens = await self._issue(user, provider, session_id)
        await self._audit("login", client, user_id=user["_id"], method=provider)
        return SignIn(tokens=tokens, user=user, provider=provider)

    async def _issue(self, user: dict[str, Any], provider: str, session_id: str) -> IssuedTokens:
        refresh_token = await self._new_refresh_token(user["_id"], session_id, provider)
        return IssuedTokens(
            access_token=self._access_token(user, provider, session_id),
            refresh_token=refresh_token,
            expires_in=self.tokens.expires_in,
        )

    async def _new_refresh_token(
        self, user_id: ObjectId, session_id: str, provider: str, parent_hash: str | None = None
    ) -> str:
        """A new refresh token of the session, stored as its hash; returns the token."""
        token = new_refresh_token()
        await self.store.refresh_tokens.insert(
            hash_refresh_token(token),
            user_id=user_id,
            app_id=self.app_id,
            session_id=session_id,
            provider=provider,
            expires_at=utcnow() + self.refresh_lifetime,
            parent_hash=parent_hash,
        )
        return token

    def _access_token(self, user: dict[str, Any], provider: str, session_id: str) -> str:
        entry = app_entry(user, self.app_id) or {}
        sub = user["username"] if provider == NATIVE_METHOD else user["firebase_uid"]
        return self.tokens.issue(
            sub=sub,
            uid=str(user["_id"]),
            role=entry.get("role", DEFAULT_ROLE),
            plan=entry.get("plan", DEFAULT_PLAN),
            provider=provider,
            session_id=session_id,
        )

    async def refresh(self, *, refresh_token: str, client: ClientContext) -> IssuedTokens:
        """Rotate a refresh token: exactly one of any concurrent uses succeeds; presenting a
        rotated token again revokes every refresh token of that user for this app."""
        app = await self.active_app(client)
        tokens = self.store.refresh_tokens
        old_hash = hash_refresh_token(refresh_token)
        old = await tokens.get(old_hash)
        if old is None or old["app_id"] != self.app_id:
            raise TracheaError(ErrorCode.REFRESH_TOKEN_INVALID)
        if old["status"] == ROTATED:
            await self._reuse_detected(old, client)
        if old["status"] != ACTIVE:
            raise TracheaError(ErrorCode.REFRESH_TOKEN_INVALID)
        user_id, session_id, provider = old["user_id"], old["session_id"], old["provider"]
        # A method the operator has since disabled does not live on through refreshes.
        self.require_method(app, provider)

        # The successor is written before the old token is rotated, so whoever later sees the
        # old token "rotated" and revokes the family also revokes this successor.
        new_token = await self._new_refresh_token(user_id, session_id, provider, old_hash)
        new_hash = hash_refresh_token(new_token)
        if await tokens.rotate(old_hash, self.app_id, replaced_by=new_hash) is None:
            await tokens.delete(new_hash)
            current = await tokens.get(old_hash)
            if current is not None and current["status"] == ROTATED:
                await self._reuse_detected(current, client)
            raise TracheaError(ErrorCode.REFRESH_TOKEN_INVALID)

        user = await self.store.users.get(user_id)
        if user is None or not user.get("is_active", True) or not app_entry(user, self.app_id):
            await tokens.revoke_all(user_id, self.app_id)
            raise TracheaError(ErrorCode.REFRESH_TOKEN_INVALID)
        await self._audit("refresh", client, user_id=user_id)
        return IssuedTokens(
            access_token=self._access_token(user, provider, session_id),
            refresh_token=new_token,
            expires_in=self.tokens.expires_in,
        )

    async def _reuse_detected(self, token_doc: dict[str, Any], client: ClientContext) -> None:
        revoked = await self.store.refresh_tokens.revoke_all(token_doc["user_id"], self.app_id)
        logger.warning(
            "refresh token reuse detected for user %s in app %s (%d revoked)",
            token_doc["user_id"],
            self.app_id,
            revoked,
        )
        await self._audit(
            "refresh_reuse_detected", client, user_id=token_doc["user_id"], revoked=revoked
        )
        raise TracheaError(ErrorCode.REFRESH_TOKEN_REUSE)

    async def logout(self, user: CurrentUser, client: ClientContext) -> int:
        user_id = self._user_oid(user)
        revoked = await self.store.refresh_tokens.revoke_all(user_id, self.app_id)
        await self._audit("logout", client, user_id=user_id, revoked=revoked)
        return revoked

    # -- profile -----------------------------------------------------------------------------

    async def profile(self, user: CurrentUser) -> dict[str, Any]:
        """The user's document; 401 when it no longer exists, is deactivated, or this token's
        session has ended (logout, refresh-token reuse, account takeover)."""
        doc = await self.store.users.get(self._user_oid(user))
        if doc is None or not doc.get("is_active", True):
            raise TracheaError(ErrorCode.INVALID_TOKEN, "This account no longer exists.")
        # The access token's session must still be live: after logout, reuse detection,
        # deactivation or an account takeover, its refresh tokens are revoked, and our routes
        # refuse its access tokens at once (product routes rely on their short expiry).
        if not await self.store.refresh_tokens.session_active(
            doc["_id"], self.app_id, user.session_id
        ):
            raise TracheaError(ErrorCode.INVALID_TOKEN, "This session has ended; sign in again.")
        return doc

    async def update_profile(
        self, user: CurrentUser, set_fields: dict[str, Any], unset_fields: list[str]
    ) -> dict[str, Any]:
        await self.profile(user)
        doc = await self.store.users.update_fields(self._user_oid(user), set_fields, unset_fields)
        if doc is None:
            raise TracheaError(ErrorCode.INVALID_TOKEN, "This account no longer exists.")
        return doc

    async def deactivate(self, user: CurrentUser, client: ClientContext) -> None:
        """Deactivate the account (every app: it is one account) and revoke all its sessions."""
        user_id = self._user_oid(user)
        await self.profile(user)
        await self.store.users.set_active(user_id, False)
        await self.store.refresh_tokens.revoke_all(user_id)
        await self._audit("deactivate", client, user_id=user_id)

    async def change_plan(
        self,
        user: CurrentUser,
        *,
        plan: str,
        email: str | None,
        proof: str | None,
        client: ClientContext,
    ) -> dict[str, Any]:
        if plan not in PLANS:
            raise TracheaError(ErrorCode.VALIDATION_ERROR, "Invalid request: plan: unknown plan")
        doc = await self.profile(user)
        paid = plan in PAID_PLANS
        adds_email = bool(email) and email != doc.get("email")
        if self.plan_policy is None and (paid or adds_email):
            # Without a policy nobody approves anything: only a bare move to free is allowed.
            # An email is never taken on a user's word alone (it would let anyone squat any
            # address and block its owner with EMAIL_TAKEN).
            raise TracheaError(ErrorCode.PLAN_CHANGE_NOT_ALLOWED)
        extra: dict[str, Any] = {}
        if adds_email:
            if doc.get("email"):
                raise TracheaError(
                    ErrorCode.VALIDATION_ERROR,
                    "Invalid request: email: the account already has an email address",
                )
            holder = await self.store.users.find_by_email(email)
            if holder is not None and holder["_id"] != doc["_id"]:
                raise TracheaError(ErrorCode.EMAIL_TAKEN)
            # An address typed in here is unproven: it never links a Firebase identity.
            extra = {"email": email, "email_verified": False}
        if paid and not (doc.get("email") or extra.get("email")):
            raise TracheaError(ErrorCode.EMAIL_REQUIRED_FOR_PAID)
        if self.plan_policy is not None and not await _call_policy(
            self.plan_policy, user, plan, proof
        ):
            raise TracheaError(ErrorCode.PLAN_CHANGE_NOT_ALLOWED)
        try:
            updated = await self.store.users.set_app_fields(
                doc["_id"],
                self.app_id,
                {"plan": plan},
                extra,
                # Adding an email: only while the account still has none (a concurrent request
                # may have added one since we read it).
                only_if={"email": {"$exists": False}} if extra else None,
            )
        except DuplicateKeyError:
            raise TracheaError(ErrorCode.EMAIL_TAKEN) from None
        if updated is None:
            if extra and (await self.profile(user)).get("email"):
                raise TracheaError(
                    ErrorCode.VALIDATION_ERROR,
                    "Invalid request: email: the account already has an email address",
                )
            raise TracheaError(ErrorCode.INVALID_TOKEN, "This account is not a member of this app.")
        previous = (app_entry(doc, self.app_id) or {}).get("plan")
        await self._audit("plan_changed", client, user_id=doc["_id"], old=previous, new=plan)
        return updated

    # -- health ------------------------------------------------------------------------------

    async def health(self, timeout: float = 2.0) -> dict[str, Any]:
        """Database reachable and this app registered and active: the details; otherwise a
        ``SERVICE_UNAVAILABLE`` error saying which. Bounded by ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self.store.database.command("ping"), timeout)
            app = await asyncio.wait_for(self.store.apps.get(self.app_id), timeout)
        except (asyncio.TimeoutError, PyMongoError):
            raise TracheaError(
                ErrorCode.SERVICE_UNAVAILABLE, "The database is unreachable."
            ) from None
        self.app_record = app
        if app is None:
            raise TracheaError(
                ErrorCode.SERVICE_UNAVAILABLE, f"App '{self.app_id}' is not registered."
            )
        if not app.is_active:
            raise TracheaError(ErrorCode.SERVICE_UNAVAILABLE, f"App '{self.app_id}' is disabled.")
        return {
            "status": "ok",
            "app_id": self.app_id,
            "database": "ok",
            "app_active": True,
            "auth_methods": list(app.allowed_auth_methods),
            "firebase": "configured" if self.firebase is not None else "not configured",
        }

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _user_oid(user: CurrentUser) -> ObjectId:
        oid = object_id(user.uid)
        if oid is None:
            raise TracheaError(ErrorCode.INVALID_TOKEN)
        return oid

    async def _audit(self, event: str, client: ClientContext, **fields: Any) -> None:
        try:
            await self.store.audit.record(
                event, app_id=self.app_id, ip=client.ip, user_agent=client.user_agent, **fields
            )
        except Exception:  # noqa: BLE001 - an audit write failing must not fail the sign-in
            logger.exception("could not write audit event %s", event)


def _firebase_profile(identity: FirebaseIdentity) -> dict[str, Any]:
    return {
        "email": identity.email,
        "email_verified": identity.email_verified if identity.email else None,
        "name": identity.name,
        "avatar": identity.picture,
        "phone": identity.phone_number,
    }


async def _call_policy(policy: PlanPolicy, user: CurrentUser, plan: str, proof: str | None) -> bool:
    result = policy(user, plan, proof)
    if inspect.isawaitable(result):
        result = await result
    return bool(result)


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def origin_allowed(origin: str, app: AppRecord) -> bool:
    """Whether a browser ``Origin`` may use this app's sign-in routes.

    Apps without ``allowed_domains`` accept any origin (mobile and server clients send none).
    Entries are host names; ``*.example.com`` matches sub-domains of example.com. The origin
    must be ``https`` (plain ``http`` only for localhost): a page served over http can be
    altered on the way, so it must not be able to sign users in.
    """
    if not app.allowed_domains:
        return True
    try:
        parts = urlsplit(origin)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if not host or parts.scheme not in ("https", "http"):
        return False
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        return False
    for entry in app.allowed_domains:
        entry = entry.lower()
        if entry.startswith("*."):
            if host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False
