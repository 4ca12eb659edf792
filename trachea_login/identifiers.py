"""How usernames and emails compare: after Unicode NFKC normalisation and case folding.

Contract §4 and NIST SP 800-63B: ``ＡＬＩＣＥ`` (full width), ``Alice`` and ``alice`` are one
username, and ``Straße@example.com`` is ``strasse@example.com``. Identifiers are stored in this
form (registration, emails from Firebase and the plan route) and looked up in it (login), so
the unique indexes on ``username`` and ``email`` enforce uniqueness by it, and the login
throttle counts one budget per account whatever spelling an attempt uses.
"""

from __future__ import annotations

import unicodedata


def normalise_identifier(value: str) -> str:
    """``value`` in the form identifiers are stored and compared in: NFKC, case-folded, NFKC
    again (case folding can leave a string that is no longer NFKC: Unicode's
    ``toNFKC_Casefold`` closure)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
