"""trachea-login: a mountable, multi-tenant authentication router for FastAPI on MongoDB.

from trachea_login import TracheaLogin, get_current_user

trachea = TracheaLogin()                       # settings from TRACHEA_* / .env
app = FastAPI(lifespan=trachea.lifespan)
app.include_router(trachea.router, prefix="/auth")
"""

from ._version import __version__
from .admin import create_client, list_clients, register_app, revoke_client, rotate_client_secret
from .config import TracheaSettings
from .cors import TracheaCORSMiddleware
from .deps import get_current_user, get_current_user_optional, require_role
from .errors import ErrorCode, TracheaConfigError, TracheaError, trachea_exception_handler
from .events import TracheaEvent
from .remote import RemoteVerifier
from .routes.openapi import ErrorResponse
from .routes.responses import LoginResponse, ServiceTokenResponse, TokenResponse, UserResponse
from .tokens import CurrentClient, CurrentUser
from .trachea import TracheaLogin

__all__ = [
    "__version__",
    "CurrentClient",
    "CurrentUser",
    "ErrorCode",
    "ErrorResponse",
    "LoginResponse",
    "RemoteVerifier",
    "ServiceTokenResponse",
    "TokenResponse",
    "TracheaCORSMiddleware",
    "TracheaConfigError",
    "TracheaError",
    "TracheaEvent",
    "TracheaLogin",
    "TracheaSettings",
    "UserResponse",
    "create_client",
    "get_current_user",
    "get_current_user_optional",
    "list_clients",
    "register_app",
    "require_role",
    "revoke_client",
    "rotate_client_secret",
    "trachea_exception_handler",
]
