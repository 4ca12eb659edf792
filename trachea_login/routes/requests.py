"""Request bodies of the HTTP API (contract §4) and their validation.

Every request model forbids unknown fields and types each value strictly: an operator object
such as ``{"$ne": null}`` where a string belongs is a 422, so nothing a client sends can reach a
MongoDB query as an operator. Validation messages describe the rule, never the input.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    model_validator,
)

from ..identifiers import normalise_identifier
from ..passwords import PASSWORD_MAX_LENGTH
from ..phone_numbers import is_e164

USERNAME_PATTERN = r"^[A-Za-z0-9._-]{3,32}$"  # checked on the normalised form
ISO_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
HTTP_URL_PATTERN = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


def _email(value: str) -> str:
    try:
        result = validate_email(normalise_identifier(value), check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("must be a valid email address") from None
    return normalise_identifier(result.normalized)


def _normalised(value: object) -> object:
    # Before the pattern: a full-width or upper-case username is the same username. Anything
    # but a string goes on as it is, for the strict type check to refuse.
    return normalise_identifier(value) if isinstance(value, str) else value


def _phone(value: str) -> str:
    if not is_e164(value):
        raise ValueError("must be an E.164 phone number such as +14155550123")
    return value


def _iso_date(value: object) -> object:
    # Only "YYYY-MM-DD": pydantic's lax date would also take a Unix timestamp (a number, or a
    # string of digits) or a datetime at midnight.
    if isinstance(value, str) and ISO_DATE_PATTERN.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a date as YYYY-MM-DD") from None
    raise ValueError("must be a date as YYYY-MM-DD")


def _past_date(value: date) -> date:
    if value >= date.today() or value.year < 1900:
        raise ValueError("must be a date in the past")
    return value


def _http_url(value: str) -> str:
    if not HTTP_URL_PATTERN.fullmatch(value):
        raise ValueError("must be an http(s) URL")
    return value


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]
# The validator listed last runs first: normalise, then check the pattern (which the OpenAPI
# document shows).
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN), BeforeValidator(_normalised)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
AppId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Phone = Annotated[str, AfterValidator(_phone)]
AvatarUrl = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_http_url)]
PastDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_past_date)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, hide_input_in_errors=True)


class RegisterRequest(_Strict):
    username: Username
    password: Password
    name: Name | None = None
    app_id: AppId | None = None


class LoginRequest(_Strict):
    """One of: ``{firebase_token}``, ``{username, password}``, ``{email, password}``."""

    firebase_token: Annotated[str, StringConstraints(min_length=1, max_length=8192)] | None = None
    username: Annotated[str, StringConstraints(min_length=1, max_length=254)] | None = None
    email: Email | None = None
    password: Password | None = None
    app_id: AppId | None = None

    @model_validator(mode="after")
    def _one_way_to_sign_in(self) -> LoginRequest:
        native = self.username is not None or self.email is not None
        if self.firebase_token is not None:
            if native or self.password is not None:
                raise ValueError("send either firebase_token or credentials, not both")
        elif not native or self.password is None:
            raise ValueError("send firebase_token, or username (or email) with password")
        elif self.username is not None and self.email is not None:
            raise ValueError("send username or email, not both")
        return self


class RefreshRequest(_Strict):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    app_id: AppId | None = None


class Address(_Strict):
    street: Short | None = None
    city: Short | None = None
    state: Short | None = None
    country: Short | None = None
    zip: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None


class ProfileUpdate(_Strict):
    """The self-editable profile. Anything else (role, plan, email, apps ...) is a 422.

    ``null`` clears a field."""

    name: Name | None = None
    avatar: AvatarUrl | None = None
    phone: Phone | None = None
    date_of_birth: PastDate | None = None
    address: Address | None = None
    app_id: AppId | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ProfileUpdate:
        if not (self.model_fields_set - {"app_id"}):
            raise ValueError("send at least one of name, avatar, phone, date_of_birth, address")
        return self

    def changes(self) -> tuple[dict[str, Any], list[str]]:
        """(fields to set, fields to unset) for the store."""
        to_set: dict[str, Any] = {}
        to_unset: list[str] = []
        for name in sorted(self.model_fields_set - {"app_id"}):
            value = getattr(self, name)
            if value is None:
                to_unset.append(name)
            elif name == "date_of_birth":
                to_set[name] = value.isoformat()
            elif name == "address":
                address = value.model_dump(exclude_none=True)
                if address:
                    to_set[name] = address
                else:
                    to_unset.append(name)
            else:
                to_set[name] = value
        return to_set, to_unset


class PlanChangeRequest(_Strict):
    plan: Literal["free", "pro", "enterprise"]
    email: Email | None = None
    proof: Annotated[str, StringConstraints(max_length=4096)] | None = None
    app_id: AppId | None = None


class PasswordChangeRequest(_Strict):
    current_password: Password
    new_password: Password
    app_id: AppId | None = None


class EraseRequest(_Strict):
    """``{"confirm": true}``: erasure cannot be undone, so the client must say so."""

    confirm: bool
    app_id: AppId | None = None

    @model_validator(mode="after")
    def _confirmed(self) -> EraseRequest:
        if self.confirm is not True:
            raise ValueError("confirm: must be true (the erasure cannot be undone)")
        return self
