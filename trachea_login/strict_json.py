"""Parsing JSON from strangers: request bodies and the segments of Firebase ID tokens.

Python's ``json`` accepts more than RFC 8259 and fails in ways a route should never see: it
guesses UTF-16 and UTF-32 from the bytes, accepts ``NaN`` and ``Infinity``, keeps the last of
duplicate keys, turns a 5,000-digit number into a ``ValueError`` (or, before Python's
int-length limit, seconds of CPU), and 10,000 levels of nesting into a ``RecursionError``.
:func:`loads` accepts UTF-8 only (no byte order mark), bounded nesting and number lengths,
finite numbers, unique keys and well-formed strings, and raises :class:`JSONRefused` (a
``ValueError`` whose message says why, never what was sent) for anything else.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from typing import Any

#: Deepest nesting accepted; our bodies have two levels (an address in a profile).
MAX_DEPTH = 32
#: Longest number literal accepted, in characters.
MAX_NUMBER_LENGTH = 100

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JSONRefused(ValueError):
    """The text is not JSON we accept; the message says why without quoting it."""


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``data`` (UTF-8 bytes, or text) strictly; :class:`JSONRefused` otherwise."""
    text = _text(data)
    if _too_deep(text, max_depth):
        raise JSONRefused(f"nested deeper than {max_depth} levels")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
        )
    except JSONRefused:
        raise
    except RecursionError:  # a guard behind the guard
        raise JSONRefused(f"nested deeper than {max_depth} levels") from None
    except ValueError:  # JSONDecodeError included
        raise JSONRefused("not valid JSON") from None
    if _SURROGATE_ESCAPE.search(text) and not _encodable(value):
        raise JSONRefused("a string holds an unpaired surrogate")
    return value


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if data.startswith(codecs.BOM_UTF8):
        raise JSONRefused("a byte order mark; send UTF-8 without one")
    try:
        # Strict UTF-8 (RFC 8259 §8.1): Latin-1 and UTF-16/32 (with or without a BOM) fail
        # here or in the parser, never guessed.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise JSONRefused("not UTF-8") from None


def _too_deep(text: str, max_depth: int) -> bool:
    if text.count("[") + text.count("{") <= max_depth:
        return False  # cannot be deeper: the common case costs two counts
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > max_depth:
            return True
    return False


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # Parsers disagree on which duplicate wins: a proxy and we could read two requests.
        raise JSONRefused("a key appears twice in one object")
    return result


def _no_constant(name: str) -> Any:
    raise JSONRefused(f"{name} is not a JSON number")


def _bounded_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise JSONRefused(f"a number longer than {MAX_NUMBER_LENGTH} characters")
    return int(literal)


def _bounded_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise JSONRefused(f"a number longer than {MAX_NUMBER_LENGTH} characters")
    value = float(literal)
    if not math.isfinite(value):
        raise JSONRefused("a number too large for a double")
    return value


def _encodable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
