"""Firebase sign-in: verify the ID token, find or create the person's one account, sign in.

Which account the identity belongs to is decided by :func:`.linking.decide`; this module reads
what the decision needs, performs the one write it names, and decides again when a
conditional write finds the data changed under it (bounded: after a few rounds it answers 503
and the client retries).
"""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from ..errors import ErrorCode, TracheaError
from ..firebase import FirebaseIdentity, FirebaseVerifier
from ..records import UserRecord
from ..store import Store
from .apps import AppGuard
from .audit import Auditor
from .context import ClientContext, SignIn
from .linking import CreateAccount, EvictEmail, FillProfile, LinkAccount, decide
from .native_accounts import join_app
from .sessions import SessionService

#: Rounds of read-decide-write before giving up on a account that keeps changing.
MAX_ROUNDS = 4


class FirebaseAccounts:
    def __init__(
        self,
        app_id: str,
        store: Store,
        verifier: FirebaseVerifier | None,
        guard: AppGuard,
        sessions: SessionService,
        auditor: Auditor,
    ) -> None:
        self.app_id = app_id
        self._store = store
        self.verifier = verifier
        self._guard = guard
        self._sessions = sessions
        self._auditor = auditor

    async def login(self, *, firebase_token: str, client: ClientContext) -> SignIn:
        app = await self._guard.active(client)
        if self.verifier is None:
            # No Firebase configured: startup refuses apps that allow Firebase methods, so
            # reaching here means the app allows none of them.
            raise TracheaError(
                ErrorCode.AUTH_METHOD_NOT_ALLOWED, "Firebase sign-in is not enabled for this app."
            )
        try:
            identity = await self.verifier.verify(firebase_token)
            # The method comes from the verified token's sign_in_provider claim, never the
            # request.
            self._guard.require_method(app, identity.provider)
        except TracheaError as exc:
            await self._auditor.record(
                "login_failed", client, method="firebase", reason=exc.code.value
            )
            raise
        user = await self.account_of(identity, client)
        if not user.is_active:
            await self._auditor.record(
                "login_failed",
                client,
                user_id=user.id,
                method=identity.provider,
                reason="user_inactive",
            )
            raise TracheaError(ErrorCode.USER_INACTIVE)
        member = await join_app(
            self._store,
            user,
            self.app_id,
            auditor=self._auditor,
            method=identity.provider,
            client=client,
        )
        tokens = await self._sessions.start(member, identity.provider, client)
        return SignIn(tokens=tokens, user=member, provider=identity.provider)

    async def account_of(self, identity: FirebaseIdentity, client: ClientContext) -> UserRecord:
        """The one account of ``identity``, found, linked or created."""
        users = self._store.users
        for _round in range(MAX_ROUNDS):
            by_uid = await users.find_by_firebase_uid(identity.uid)  # firebase_uid_unique
            holder = None
            if by_uid is None and identity.email:
                holder = await users.find_by_email(identity.email)  # email_unique
            decision = decide(identity, by_uid, holder)
            if isinstance(decision, FillProfile):
                return await self._fill(decision)
            if isinstance(decision, LinkAccount):
                linked = await self._link(decision, identity)
                if linked is not None:
                    return linked
            elif isinstance(decision, EvictEmail):
                await users.evict_unverified_email(decision.holder.id, identity.email or "")
                await self._auditor.record("email_evicted", client, user_id=decision.holder.id)
            else:
                created = await self._create(decision)
                if created is not None:
                    return created
            # The data changed under us (or the eviction ran): look again.
        raise TracheaError(ErrorCode.SERVICE_UNAVAILABLE, retry_after=1)

    async def _fill(self, decision: FillProfile) -> UserRecord:
        user = decision.user
        if not decision.fields:
            return user
        users = self._store.users
        try:
            # ends_sessions: Firebase gave this uid to the proven owner of an address that was
            # unproven until now (with "one account per email", the owner's Google sign-in
            # takes over an unverified email+password account): whoever held the account
            # before loses every session, in the same write.
            return (
                await users.update_fields(
                    user.id, decision.fields, end_sessions=decision.ends_sessions
                )
                or user
            )
        except DuplicateKeyError:  # the email belongs to another account: keep the rest
            rest = {
                k: v for k, v in decision.fields.items() if k not in ("email", "email_verified")
            }
            return await users.update_fields(user.id, rest) or user

    async def _link(self, decision: LinkAccount, identity: FirebaseIdentity) -> UserRecord | None:
        """One conditional update: only while the holder still has no Firebase uid and still
        holds that email. ``None`` when it changed meanwhile, or the uid went to another
        account meanwhile."""
        holder = decision.holder
        unset = ("password_hash",) if decision.removes_password else ()
        try:
            # ends_sessions: the same write ends every session the holder had.
            linked = await self._store.users.link_firebase(
                holder.id,
                identity.email or "",
                decision.fields,
                unset,
                end_sessions=decision.ends_sessions,
            )
        except DuplicateKeyError:
            # A concurrent first login of the same uid created its account first (the uid is
            # taken): the next round finds that account by uid.
            return None
        if linked is not None:
            await self._auditor.record(
                "account_linked",
                ClientContext(),
                user_id=holder.id,
                method=identity.provider,
                password_removed=decision.removes_password,
                sessions_ended=decision.ends_sessions,
            )
        return linked

    async def _create(self, decision: CreateAccount) -> UserRecord | None:
        try:
            return await self._store.users.insert(decision.fields)
        except DuplicateKeyError:
            # A concurrent first login of the same uid (or the email got taken): the next
            # round finds what the other request created.
            return None
