"""Phone-number sign-in through the Auth emulator, as a mobile SDK does it, and the token it
yields as the real ``firebase_admin`` verifies it (``EmulatorClient.sign_in_with_phone``).

The flow: ``accounts:sendVerificationCode`` with the number, the SMS code read from the
emulator's ``verificationCodes`` endpoint, ``accounts:signInWithPhoneNumber`` with the session
and the code. The contract (§4) has a phone sign-in store the token's E.164 number as the
account's ``phone``; these tests pin what such a token carries.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import firebase_admin
import pytest
from firebase_admin import auth
from google.auth.credentials import AnonymousCredentials

from tests.firebase_emulator import PROJECT_ID, EmulatorClient, EmulatorError

E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def new_indian_mobile() -> str:
    """A fresh E.164 mobile number (India, +91 and ten digits starting with 9)."""
    return "+919" + "".join(secrets.choice("0123456789") for _ in range(9))


@pytest.fixture
def admin_app(firebase_emulator: EmulatorClient) -> Iterator[firebase_admin.App]:
    """A firebase_admin app for the demo project; FIREBASE_AUTH_EMULATOR_HOST (set by the
    session fixture) makes it verify against this run's emulator."""
    app = firebase_admin.initialize_app(
        AnonymousCredentials(),  # the emulator ignores credentials
        options={"projectId": PROJECT_ID},
        name=f"phone-test-{uuid.uuid4().hex}",
    )
    yield app
    firebase_admin.delete_app(app)


def verify(token: str, app: firebase_admin.App) -> dict[str, Any]:
    return dict(auth.verify_id_token(token, app=app, check_revoked=True))


def test_a_phone_sign_in_token_names_the_phone_provider_and_the_e164_number(
    firebase_emulator: EmulatorClient, admin_app: firebase_admin.App
) -> None:
    phone = new_indian_mobile()

    uid, token = firebase_emulator.sign_in_with_phone(phone)
    claims = verify(token, admin_app)

    assert claims["firebase"]["sign_in_provider"] == "phone"
    assert claims["phone_number"] == phone and E164.fullmatch(claims["phone_number"])
    assert claims["firebase"]["identities"] == {"phone": [phone]}
    assert claims["uid"] == claims["sub"] == uid
    assert claims["aud"] == PROJECT_ID
    assert "email" not in claims
    assert firebase_emulator.get_user(uid)["phoneNumber"] == phone


def test_the_same_number_signs_the_same_account_in_again(
    firebase_emulator: EmulatorClient, admin_app: firebase_admin.App
) -> None:
    phone = new_indian_mobile()
    first_uid, _ = firebase_emulator.sign_in_with_phone(phone)

    session_info = firebase_emulator.send_verification_code(phone)
    again = firebase_emulator.sign_in_with_phone_code(
        session_info, firebase_emulator.sms_code(session_info)
    )

    assert again["localId"] == first_uid and again["isNewUser"] is False
    assert verify(again["idToken"], admin_app)["phone_number"] == phone


def test_a_wrong_sms_code_signs_nobody_in(firebase_emulator: EmulatorClient) -> None:
    session_info = firebase_emulator.send_verification_code(new_indian_mobile())
    code = firebase_emulator.sms_code(session_info)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    with pytest.raises(EmulatorError) as caught:
        firebase_emulator.sign_in_with_phone_code(session_info, wrong)

    assert "INVALID_CODE" in str(caught.value)


def test_each_sign_in_reads_the_code_sent_for_its_own_session(
    firebase_emulator: EmulatorClient, admin_app: firebase_admin.App
) -> None:
    phones = [new_indian_mobile(), new_indian_mobile()]
    sessions = [firebase_emulator.send_verification_code(phone) for phone in phones]
    codes = [firebase_emulator.sms_code(session) for session in sessions]

    # Sign in in the opposite order: each code only works for the session it was sent for.
    for phone, session, code in reversed(list(zip(phones, sessions, codes, strict=True))):
        token = firebase_emulator.sign_in_with_phone_code(session, code)["idToken"]
        assert verify(token, admin_app)["phone_number"] == phone


@pytest.mark.parametrize(
    "typed",
    ["9876543210", "+91 98765 43210", "+91-98765-43210", "+0919876543210", "+", ""],
    ids=["no-plus", "spaces", "dashes", "leading-zero", "plus-only", "empty"],
)
def test_a_number_not_in_e164_is_refused(firebase_emulator: EmulatorClient, typed: str) -> None:
    """Real Firebase normalises what the user typed; the emulator would store it verbatim and
    mint a token Firebase never issues, so the helper refuses it."""
    with pytest.raises(ValueError, match="E.164"):
        firebase_emulator.sign_in_with_phone(typed)
