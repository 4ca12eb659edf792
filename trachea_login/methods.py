"""Sign-in methods (contract §4): the names an app lists in ``allowed_auth_methods``."""

from __future__ import annotations

#: Native sign-in: username (or email) and password, no Firebase.
NATIVE_METHOD = "username"

#: Firebase phone-number sign-in (``firebase.sign_in_provider == "phone"``).
PHONE_METHOD = "phone"

#: Firebase sign-in methods, named after the token's ``firebase.sign_in_provider``
#: (see :func:`trachea_login.firebase.map_provider`).
FIREBASE_METHODS: frozenset[str] = frozenset(
    {"google", "apple", "facebook", "password", PHONE_METHOD}
)

#: The methods the service knows by name, in the order help texts list them. Other lower-case
#: Firebase provider names (``anonymous``, ``github.com``, ``oidc.*`` ...) may be allowed by
#: that exact name, but only when asked for explicitly (``allow_other_methods=True``, the
#: CLI's ``--allow-other-methods``): otherwise a typo such as ``usernme`` would be stored.
KNOWN_AUTH_METHODS: tuple[str, ...] = (
    "google",
    "facebook",
    "apple",
    "password",
    PHONE_METHOD,
    NATIVE_METHOD,
)
