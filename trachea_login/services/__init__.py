"""The rules of the contract for one app, one module per concept. No HTTP here.

:class:`AuthService` builds the parts for one ``TracheaLogin`` and holds them; routes call the
part they need (``service.sessions.refresh(...)``). The data path of a sign-in reads top to
bottom: the app check (:mod:`.apps`), the credential (:mod:`.native_accounts` with
:mod:`.throttle`, or :mod:`.firebase_accounts` with :mod:`.linking`), the session
(:mod:`.sessions`), each touching the store with one atomic operation per rule.
"""

from __future__ import annotations

from datetime import timedelta

from ..clock import Clock
from ..config import TracheaSettings
from ..events import EventCallback
from ..firebase import FirebaseVerifier
from ..passwords import PasswordHasher
from ..store import Store
from ..tokens import AccessTokens
from .apps import APP_RECORD_MAX_AGE, AppGuard, AppRecordCache, SignInScreen, SignInScreenReader
from .audit import Auditor
from .client_credentials import ClientCredentials, ClientLiveCheck, ServiceToken
from .context import ClientContext, IssuedTokens, SignIn
from .event_delivery import EventDelivery
from .firebase_accounts import FirebaseAccounts
from .health import HealthCheck
from .lifecycle import AccountLifecycle
from .native_accounts import NativeAccounts
from .password_change import PasswordChange
from .plans import PlanPolicy, PlanService
from .profile import ProfileService
from .refresh import RefreshService
from .sessions import SessionService, SessionView
from .throttle import LoginThrottle


class AuthService:
    """Every rule of one app, in parts: ``apps``, ``sign_in_screen``, ``native``, ``firebase``,
    ``sessions``, ``refresh``, ``passwords``, ``profile``, ``lifecycle``, ``plans``, ``clients``
    (service clients' tokens) and ``health``."""

    def __init__(
        self,
        settings: TracheaSettings,
        store: Store,
        tokens: AccessTokens,
        hasher: PasswordHasher,
        clock: Clock,
        firebase: FirebaseVerifier | None = None,
        plan_policy: PlanPolicy | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        app_id = self.app_id = settings.app_id
        self.store = store
        self.app_record = AppRecordCache(store.apps, app_id, clock)
        self.apps = AppGuard(self.app_record, store.apps)
        self.sign_in_screen = SignInScreenReader(self.apps, settings.password_min_length)
        delivery = None
        if on_event is not None:
            delivery = EventDelivery(on_event, shutdown_seconds=settings.event_shutdown_seconds)
        auditor = self.auditor = Auditor(store.audit, app_id, delivery=delivery)
        self.sessions = SessionService(settings, store, tokens, clock, auditor)
        self.refresh = RefreshService(settings, store, clock, self.apps, self.sessions, auditor)
        throttle = LoginThrottle(store.login_failures, settings, auditor)
        self.passwords = PasswordChange(settings, store, hasher, throttle, self.sessions, auditor)
        self.native = NativeAccounts(
            settings, store, hasher, self.apps, throttle, self.sessions, auditor
        )
        self.firebase = FirebaseAccounts(app_id, store, firebase, self.apps, self.sessions, auditor)
        self.profile = ProfileService(store, self.sessions, auditor)
        self.lifecycle = AccountLifecycle(
            store,
            self.sessions,
            auditor,
            reauth_max_age=timedelta(minutes=settings.reauth_max_age_minutes),
            firebase_for_erasure=firebase if settings.erase_firebase_user else None,
            clock=clock,
        )
        self.plans = PlanService(app_id, store, self.sessions, auditor, plan_policy)
        self.clients = ClientCredentials(app_id, store, tokens, self.apps, throttle, auditor)
        self.client_live_check = ClientLiveCheck(store, app_id, clock)
        self.health = HealthCheck(store, self.app_record, firebase is not None)
        #: The public JWK Set of the keys that verify this app's tokens (current first).
        self.jwks = tokens.jwks


__all__ = [
    "APP_RECORD_MAX_AGE",
    "AuthService",
    "ClientContext",
    "IssuedTokens",
    "PlanPolicy",
    "ServiceToken",
    "SessionView",
    "SignIn",
    "SignInScreen",
]
