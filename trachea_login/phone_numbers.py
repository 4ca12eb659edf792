"""E.164 phone numbers: the one form an account's ``phone`` is stored in (contract §4).

``+`` and 2 to 15 digits, the first not 0 (``+919876543210``). Profile edits must be in this
form, and a Firebase phone sign-in's number must be too: real Firebase normalises what the
user typed before issuing a token, so any other form is a token Firebase never issued (the
Auth emulator stores numbers verbatim and would mint one).
"""

from __future__ import annotations

import re

E164_PATTERN = re.compile(r"^\+[1-9][0-9]{1,14}$")


def is_e164(value: object) -> bool:
    """Whether ``value`` is a phone number in E.164 form."""
    return isinstance(value, str) and E164_PATTERN.fullmatch(value) is not None
