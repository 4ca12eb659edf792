"""trachea-login: a mountable, multi-tenant authentication router for FastAPI on MongoDB.

from trachea_login import TracheaLogin, get_current_user

trachea = TracheaLogin()                       # settings from TRACHEA_* / .env
app = FastAPI(lifespan=trachea.lifespan)
app.include_router(trachea.router, prefix="/auth")
"""

from ._version import __version__
from .admin import register_app
from .config import TracheaSettings
from .cors import TracheaCORSMiddleware
from .deps import get_current_user, get_current_user_optional, require_role
from .errors import ErrorCode, TracheaConfigError, TracheaError, trachea_exception_handler
from .remote import RemoteVerifier
from .tokens import CurrentUser
from .trachea import TracheaLogin

__all__ = [
    "__version__",
    "CurrentUser",
    "ErrorCode",
    "RemoteVerifier",
    "TracheaCORSMiddleware",
    "TracheaConfigError",
    "TracheaError",
    "TracheaLogin",
    "TracheaSettings",
    "get_current_user",
    "get_current_user_optional",
    "register_app",
    "require_role",
    "trachea_exception_handler",
]
