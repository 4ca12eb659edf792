"""Sign-in methods (contract §4): the names an app lists in ``allowed_auth_methods``."""

from __future__ import annotations

#: Native sign-in: username (or email) and password, no Firebase.
NATIVE_METHOD = "username"

#: Firebase sign-in methods, named after the token's ``firebase.sign_in_provider``
#: (see :func:`trachea_login.firebase.map_provider`).
FIREBASE_METHODS: frozenset[str] = frozenset({"google", "apple", "facebook", "password"})

#: The methods the service knows by name. Other lower-case Firebase provider names
#: (``phone``, ``anonymous`` ...) may be allowed by that exact name.
KNOWN_AUTH_METHODS: tuple[str, ...] = ("google", "facebook", "apple", "password", "username")
