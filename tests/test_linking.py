"""Which account a Firebase identity belongs to (services/linking.py), as a table.

Every combination of what the token says (email or none, verified or not) and what the store
holds (the identity's own account, the account holding the email: with or without a Firebase
uid, its address proven or not, with or without a password) has one row naming the write.
"""

from __future__ import annotations

import pytest
from bson import ObjectId

from trachea_login.firebase import FirebaseIdentity
from trachea_login.records import UserRecord
from trachea_login.services.linking import (
    CreateAccount,
    EvictEmail,
    FillProfile,
    LinkAccount,
    decide,
)

EMAIL = "ada@example.com"


def identity(email: str | None = EMAIL, verified: bool = True, **profile) -> FirebaseIdentity:
    return FirebaseIdentity(
        uid="fb-ada",
        provider="google",
        sign_in_provider="google.com",
        email=email,
        email_verified=verified if email else False,
        name=profile.get("name", "Ada"),
        picture=profile.get("picture"),
        phone_number=profile.get("phone"),
        claims={},
    )


def account(**fields) -> UserRecord:
    return UserRecord(id=ObjectId(), **fields)


# The identity's own account (same Firebase uid) ------------------------------------------------

OWN = [
    # (case, the account, the token, adopts the email, ends sessions)
    ("no email, token without email", {}, identity(email=None), False, False),
    ("no email, token verified", {}, identity(), True, False),
    ("no email, token unverified", {}, identity(verified=False), False, False),
    ("same email unproven, token verified", {"email": EMAIL}, identity(), True, True),
    (
        "same email proven, token verified",
        {"email": EMAIL, "email_verified": True},
        identity(),
        False,
        False,
    ),
    (
        "same email unproven, token unverified",
        {"email": EMAIL},
        identity(verified=False),
        False,
        False,
    ),
    ("other email unproven, token verified", {"email": "x@example.com"}, identity(), False, False),
]


@pytest.mark.parametrize(
    ("case", "fields", "ident", "adopts", "ends"), OWN, ids=[r[0] for r in OWN]
)
def test_the_identitys_own_account_is_used(case, fields, ident, adopts, ends):
    own = account(firebase_uid="fb-ada", **fields)
    decision = decide(ident, own, email_holder=account(email=EMAIL))  # the holder is not read
    assert isinstance(decision, FillProfile) and decision.user is own
    assert (decision.adopts_email, decision.ends_sessions) == (adopts, ends)
    assert (decision.fields.get("email"), decision.fields.get("email_verified")) == (
        (EMAIL, True) if adopts else (None, None)
    )


def test_profile_gaps_are_filled_and_nothing_is_overwritten_or_erased():
    own = account(firebase_uid="fb-ada", name="Chosen Name", phone=None, avatar="https://a/1")
    ident = identity(name="Token Name", picture="https://a/2", phone="+14155550123")
    decision = decide(ident, own, None)
    assert isinstance(decision, FillProfile)
    assert decision.fields == {"phone": "+14155550123", "email": EMAIL, "email_verified": True}
    lacking = decide(
        identity(email=None, name=None), account(firebase_uid="fb-ada", name="A"), None
    )
    assert isinstance(lacking, FillProfile) and lacking.fields == {}  # Apple's second sign-in


def phone_identity(phone: str = "+919876543210", email: str | None = None) -> FirebaseIdentity:
    """A phone sign-in (``sign_in_provider`` ``phone``), as the emulator issues it."""
    return FirebaseIdentity(
        uid="fb-ada",
        provider="phone",
        sign_in_provider="phone",
        email=email,
        email_verified=email is not None,
        name=None,
        picture=None,
        phone_number=phone,
        claims={},
    )


PHONE_ON_OWN_ACCOUNT = [
    # (case, the account's phone, the sign-in, the phone written)
    ("no phone yet", None, phone_identity(), "+919876543210"),
    ("another number typed in", "+14155550123", phone_identity(), "+919876543210"),
    ("the same number", "+919876543210", phone_identity(), None),
    (
        "google with a linked number, none yet",
        None,
        identity(phone="+919876543210"),
        "+919876543210",
    ),
    (
        "google with a linked number, another kept",
        "+14155550123",
        identity(phone="+919876543210"),
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "phone", "ident", "written"),
    PHONE_ON_OWN_ACCOUNT,
    ids=[r[0] for r in PHONE_ON_OWN_ACCOUNT],
)
def test_a_phone_sign_in_stores_its_verified_number(case, phone, ident, written):
    own = account(firebase_uid="fb-ada", phone=phone, email=EMAIL, email_verified=True)
    decision = decide(ident, own, None)
    assert isinstance(decision, FillProfile) and decision.user is own
    assert decision.fields.get("phone") == written


def test_a_new_phone_account_gets_its_number_and_the_phone_provider():
    decision = decide(phone_identity(), None, None)
    assert isinstance(decision, CreateAccount)
    assert decision.fields == {
        "phone": "+919876543210",
        "firebase_uid": "fb-ada",
        "provider": "phone",
    }


def test_a_phone_sign_in_with_a_verified_email_links_and_stores_the_number():
    holder = account(username="ada", email=EMAIL, email_verified=True, phone="+14155550123")
    decision = decide(phone_identity(email=EMAIL), None, holder)
    assert isinstance(decision, LinkAccount) and decision.holder is holder
    assert decision.fields["phone"] == "+919876543210"


# No account has the uid: the account holding the email decides ------------------------------

HOLDERS = [
    # (case, the holder (None: nobody holds the email), the token, expected)
    ("nobody holds it, verified", None, identity(), ("create", True)),
    ("nobody holds it, unverified", None, identity(verified=False), ("create", True)),
    ("token without email", None, identity(email=None), ("create", False)),
    (
        "native holder, proven address",
        {"email_verified": True, "password_hash": "h"},
        identity(),
        ("link", False, False),
    ),
    (
        "native holder, unproven address, with a password",
        {"password_hash": "h"},
        identity(),
        ("link", True, True),
    ),
    ("holder without password, unproven address", {}, identity(), ("link", False, True)),
    (
        "native holder, token unverified",
        {"password_hash": "h"},
        identity(verified=False),
        ("create", False),
    ),
    (
        "other Firebase holder, unproven address",
        {"firebase_uid": "fb-squatter"},
        identity(),
        ("evict",),
    ),
    (
        "other Firebase holder, proven address",
        {"firebase_uid": "fb-other", "email_verified": True},
        identity(),
        ("create", False),
    ),
    (
        "other Firebase holder, token unverified",
        {"firebase_uid": "fb-squatter"},
        identity(verified=False),
        ("create", False),
    ),
]


@pytest.mark.parametrize(
    ("case", "holder_fields", "ident", "expected"), HOLDERS, ids=[r[0] for r in HOLDERS]
)
def test_an_identity_without_an_account(case, holder_fields, ident, expected):
    holder = None if holder_fields is None else account(email=EMAIL, **holder_fields)
    decision = decide(ident, None, holder)
    kind = expected[0]
    if kind == "link":
        _, removes_password, ends_sessions = expected
        assert isinstance(decision, LinkAccount) and decision.holder is holder
        assert (decision.removes_password, decision.ends_sessions) == (
            removes_password,
            ends_sessions,
        )
        assert decision.fields["firebase_uid"] == "fb-ada"
        assert decision.fields["email_verified"] is True
        assert "email" not in decision.fields  # the holder already has it
    elif kind == "evict":
        assert isinstance(decision, EvictEmail) and decision.holder is holder
    else:
        _, with_email = expected
        assert isinstance(decision, CreateAccount)
        assert decision.fields["firebase_uid"] == "fb-ada"
        assert decision.fields["provider"] == "google"
        assert ("email" in decision.fields) is with_email
        assert decision.without_email is (holder is not None)
        if with_email:
            assert decision.fields["email_verified"] is ident.email_verified


def test_a_new_account_has_no_none_fields():
    """Sparse unique indexes count explicit nulls on a real MongoDB: absent means absent."""
    decision = decide(identity(email=None, name=None), None, None)
    assert isinstance(decision, CreateAccount)
    assert decision.fields == {"firebase_uid": "fb-ada", "provider": "google"}
