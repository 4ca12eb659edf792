"""``POST /token``: a service client's access token (contract §10, RFC 6749 §4.4).

The body is ``application/x-www-form-urlencoded`` (what RFC 6749 specifies, and what OAuth
client libraries send) or JSON (like every other route of ours), with ``grant_type`` =
``client_credentials`` and an optional ``scope``. The client authenticates with HTTP Basic
(``client_id:client_secret``, each form-encoded first, RFC 6749 §2.3.1) or with ``client_id``
and ``client_secret`` in the body, never both. Parameters we do not know are ignored (RFC 6749
§3.2); a parameter given twice is refused.

RFC 6749 §5.2's errors, in contract §5's codes (docs/decisions.md):

- ``invalid_request`` (missing or repeated parameter, a body that is neither form nor JSON, two
  ways of authenticating, a malformed ``scope``) and ``unsupported_grant_type``: 422
  ``VALIDATION_ERROR``;
- ``invalid_client`` (no credentials, unknown or revoked client, wrong secret, a malformed
  Basic header): 401 ``INVALID_CLIENT`` with ``WWW-Authenticate: Basic``;
- ``invalid_scope`` (a scope the client does not hold): 403 ``INSUFFICIENT_SCOPE``;
- ``invalid_grant`` and ``unauthorized_client`` do not arise: the grant is the client's own
  credentials, and every client may use it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.models import HTTPBase
from fastapi.security.base import SecurityBase
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from .. import strict_json
from ..errors import ErrorCode as E
from ..errors import TracheaError
from .client_ip import client_context
from .openapi import error_responses
from .parts import APP_ERRORS, AppIdHeader, RouterParts
from .responses import ServiceTokenResponse

GRANT_TYPE = "client_credentials"
PARAMETERS = ("grant_type", "scope", "client_id", "client_secret", "app_id")
FORM = "application/x-www-form-urlencoded"
#: More fields than this in a form body is not a token request.
MAX_FORM_FIELDS = 32


class ClientTokenRequest(BaseModel):
    """The parameters of POST /auth/token, as form fields or JSON members."""

    grant_type: str = Field(description="Must be client_credentials.", examples=[GRANT_TYPE])
    scope: str | None = Field(
        default=None,
        description="Space-separated scopes, a subset of the client's; absent: all of them.",
        examples=["reports:read"],
    )
    client_id: str | None = Field(default=None, description="Unless sent with HTTP Basic.")
    client_secret: str | None = Field(default=None, description="Unless sent with HTTP Basic.")
    app_id: str | None = Field(default=None, description="Optional: must name this app.")


def _invalid(message: str) -> TracheaError:
    return TracheaError(E.VALIDATION_ERROR, f"Invalid request: {message}")


class ClientBasicAuth(SecurityBase):
    """HTTP Basic client authentication (RFC 6749 §2.3.1), and its OpenAPI security scheme:
    ``(client_id, client_secret)``, or ``None`` when the request has no Basic credentials."""

    def __init__(self) -> None:
        self.model = HTTPBase(
            scheme="basic", description="client_id and client_secret of a service client."
        )
        self.scheme_name = "TracheaClientBasic"

    async def __call__(self, conn: HTTPConnection) -> tuple[str, str] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "basic":
            return None  # not client authentication (a Bearer token has no meaning here)
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise TracheaError(E.INVALID_CLIENT) from None
        client_id, colon, secret = decoded.partition(":")
        if not colon:
            raise TracheaError(E.INVALID_CLIENT)
        return unquote_plus(client_id), unquote_plus(secret)


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def read_parameters(content_type: str, body: bytes) -> dict[str, str]:
    """The token request's known parameters from a form or JSON body (422 otherwise)."""
    if content_type.partition(";")[0].strip().lower() == FORM:
        return _form_parameters(body)
    if _is_json(content_type):
        try:
            document = strict_json.loads(body)
        except ValueError:  # JSONRefused included
            raise _invalid("the body is not valid JSON") from None
        return json_parameters(document)
    raise _invalid(f"send the parameters as {FORM} (or JSON)")


async def request_parameters(request: Request) -> dict[str, str]:
    """:func:`read_parameters` of the request; a JSON body through the request's strict reader,
    as every JSON body of ours (a refusal is one log line and a 422)."""
    content_type = request.headers.get("content-type", "")
    if _is_json(content_type):
        return json_parameters(await request.json())
    return read_parameters(content_type, await request.body())


def _form_parameters(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise _invalid("the form body is not valid UTF-8 form encoding") from None
    found: dict[str, str] = {}
    for name, value in pairs:
        if name not in PARAMETERS:
            continue  # RFC 6749 §3.2: unknown parameters are ignored
        if name in found:
            raise _invalid(f"{name}: given more than once")
        found[name] = value
    return found


def json_parameters(document: Any) -> dict[str, str]:
    """The known parameters of a decoded JSON body (422 unless an object of strings)."""
    if not isinstance(document, dict):
        raise _invalid("the body must be a JSON object")
    found: dict[str, str] = {}
    for name in PARAMETERS:
        if name not in document or document[name] is None:
            continue
        if not isinstance(document[name], str):
            raise _invalid(f"{name}: must be a string")
        found[name] = document[name]
    return found


def client_credentials(
    parameters: dict[str, str], basic: tuple[str, str] | None
) -> tuple[str | None, str | None]:
    """``(client_id, client_secret)`` from Basic or the body; 422 when both carry a secret,
    or name different clients."""
    if basic is None:
        return parameters.get("client_id"), parameters.get("client_secret")
    if "client_secret" in parameters:
        raise _invalid("authenticate with HTTP Basic or with client_secret in the body, not both")
    if parameters.get("client_id", basic[0]) != basic[0]:
        raise _invalid("client_id: differs from the one in the Authorization header")
    return basic


def check_grant(parameters: dict[str, str]) -> None:
    grant_type = parameters.get("grant_type")
    if not grant_type:
        raise _invalid("grant_type: is required (client_credentials)")
    if grant_type != GRANT_TYPE:
        raise _invalid("grant_type: unsupported; only client_credentials is")


#: What Swagger UI's "Try it out" offers (with the client's id and secret in Authorize).
EXAMPLES = {
    "all of the client's scopes": {
        "summary": "A token with every scope the client holds",
        "value": {"grant_type": GRANT_TYPE},
    },
    "one scope": {
        "summary": "A token with only the scopes asked for",
        "value": {"grant_type": GRANT_TYPE, "scope": "reports:read"},
    },
}


def _request_body() -> dict[str, Any]:
    schema = ClientTokenRequest.model_json_schema()
    content = {"schema": schema, "examples": EXAMPLES}
    return {
        "requestBody": {"required": True, "content": {FORM: content, "application/json": content}}
    }


def build_token_router(parts: RouterParts) -> APIRouter:
    router = parts.router()
    service = parts.service
    basic_auth = ClientBasicAuth()

    @router.post(
        "/token",
        name=parts.name("token"),
        response_model=ServiceTokenResponse,
        tags=["service clients"],
        summary="A service client's access token (OAuth 2.0 client credentials grant)",
        openapi_extra=_request_body(),
        responses=error_responses(
            *APP_ERRORS,
            E.INVALID_CLIENT,
            E.INSUFFICIENT_SCOPE,
            E.TOO_MANY_ATTEMPTS,
            E.ORIGIN_NOT_ALLOWED,
        ),
    )
    async def token(
        request: Request,
        basic: tuple[str, str] | None = Depends(basic_auth),
        x_app_id: AppIdHeader = None,
    ) -> ServiceTokenResponse:
        parameters = await request_parameters(request)
        await service.apps.check_requested(parameters.get("app_id") or x_app_id)
        check_grant(parameters)
        client_id, client_secret = client_credentials(parameters, basic)
        issued = await service.clients.issue(
            client_id=client_id,
            client_secret=client_secret,
            scope=parameters.get("scope"),
            client=client_context(request, parts.proxies),
        )
        return ServiceTokenResponse(
            access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope
        )

    return router
