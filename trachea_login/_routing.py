"""Walking a FastAPI app's or router's routes, whether included routers are flattened into
copies (FastAPI up to 0.13x) or kept as nested branches (later versions)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def walk_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route, with included routers walked into."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from walk_routes(nested.routes)
        else:
            yield route
