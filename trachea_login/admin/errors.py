"""What operator operations raise when an app or user is missing or ambiguous."""

from __future__ import annotations


class NotFoundError(LookupError):
    """An app, a user, or a user's entry for an app does not exist."""


class AppNotFound(NotFoundError):
    def __init__(self, app_id: str) -> None:
        super().__init__(f"app {app_id!r} not found")
        self.app_id = app_id


class UserNotFound(NotFoundError):
    def __init__(self, query: str) -> None:
        super().__init__(f"user {query!r} not found")
        self.query = query


class NotAMember(NotFoundError):
    """The user exists but has no ``apps[]`` entry for that app (never signed in to it)."""

    def __init__(self, user_id: str, app_id: str) -> None:
        super().__init__(
            f"user {user_id} has no entry for app {app_id!r} "
            "(a user joins an app at their first sign-in to it)"
        )
        self.user_id = user_id
        self.app_id = app_id


class EmailRequiredForPaidPlan(ValueError):
    """A paid plan needs an email on the account (contract §4)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"user {user_id} has no email; a paid plan needs one")
        self.user_id = user_id


class ClientNotFound(NotFoundError):
    def __init__(self, client_id: str) -> None:
        super().__init__(f"service client {client_id!r} not found")
        self.client_id = client_id


class ClientRevoked(ValueError):
    """The service client is revoked: it cannot be given a new secret (create another)."""

    def __init__(self, client_id: str) -> None:
        super().__init__(f"service client {client_id!r} is revoked; create a new client instead")
        self.client_id = client_id


class AppAlreadyExists(ValueError):
    def __init__(self, app_id: str) -> None:
        super().__init__(f"app {app_id!r} already exists")
        self.app_id = app_id


class AmbiguousUser(ValueError):
    """A query matches several users (say one's username is another's Firebase uid)."""

    def __init__(self, query: str, user_ids: list[str]) -> None:
        super().__init__(
            f"user query {query!r} matches {len(user_ids)} users "
            f"({', '.join(user_ids)}); use the user id"
        )
        self.query = query
        self.user_ids = user_ids
