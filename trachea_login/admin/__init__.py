"""Operator operations on apps and users: what the ``trachea-login`` CLI does, without HTTP.

Every function takes the MongoDB database (any async client with PyMongo's API) and works
through the stores. Invalid input raises ``ValueError`` (messages never contain a secret);
a missing app or user raises a :class:`NotFoundError`. Each change is one atomic update.
"""

from __future__ import annotations

from ..client_secrets import generate_client_secret
from .apps import (
    disable_app,
    enable_app,
    generate_app_secret,
    get_app,
    list_apps,
    register_app,
    rotate_app_secret,
    set_auth_methods,
    set_domains,
    verify_app_secret,
)
from .clients import (
    NewClient,
    create_client,
    generate_client_id,
    get_client,
    list_clients,
    revoke_client,
    rotate_client_secret,
)
from .errors import (
    AmbiguousUser,
    AppAlreadyExists,
    AppNotFound,
    ClientNotFound,
    ClientRevoked,
    EmailRequiredForPaidPlan,
    NotAMember,
    NotFoundError,
    UserNotFound,
)
from .users import (
    deactivate_user,
    end_user_sessions,
    erase_user,
    find_user,
    reactivate_user,
    set_user_plan,
    set_user_role,
    user_public_view,
    user_sessions,
)
from .validation import (
    APP_NAME_MAX_LENGTH,
    APP_SECRET_MAX_LENGTH,
    APP_SECRET_MIN_LENGTH,
    check_app_id,
    check_app_secret,
    check_auth_methods,
    check_domains,
    check_scopes,
)

__all__ = [
    "APP_NAME_MAX_LENGTH",
    "APP_SECRET_MAX_LENGTH",
    "APP_SECRET_MIN_LENGTH",
    "AmbiguousUser",
    "AppAlreadyExists",
    "AppNotFound",
    "ClientNotFound",
    "ClientRevoked",
    "EmailRequiredForPaidPlan",
    "NewClient",
    "NotAMember",
    "NotFoundError",
    "UserNotFound",
    "check_app_id",
    "check_app_secret",
    "check_auth_methods",
    "check_domains",
    "check_scopes",
    "create_client",
    "deactivate_user",
    "disable_app",
    "end_user_sessions",
    "erase_user",
    "enable_app",
    "find_user",
    "generate_app_secret",
    "generate_client_id",
    "generate_client_secret",
    "get_app",
    "get_client",
    "list_apps",
    "list_clients",
    "reactivate_user",
    "register_app",
    "revoke_client",
    "rotate_app_secret",
    "rotate_client_secret",
    "set_auth_methods",
    "set_domains",
    "set_user_plan",
    "set_user_role",
    "user_public_view",
    "user_sessions",
    "verify_app_secret",
]
