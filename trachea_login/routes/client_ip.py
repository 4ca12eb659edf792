"""Who is calling: the client IP (trusting X-Forwarded-For only from configured proxies)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from fastapi import Request

from ..services import ClientContext

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_ip(request: Request, proxies: tuple[Network, ...]) -> str | None:
    """The connection's peer address; when that peer is a trusted proxy, the right-most
    ``X-Forwarded-For`` address that is not itself a trusted proxy. A client cannot choose its
    own address by sending the header: only trusted proxies' headers are read."""
    peer = request.client.host if request.client else None
    if peer is None or not proxies or not _trusted(peer, proxies):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return hops[0] if hops else peer


def client_context(request: Request, proxies: tuple[Network, ...]) -> ClientContext:
    return ClientContext(
        ip=client_ip(request, proxies),
        user_agent=request.headers.get("user-agent"),
        origin=request.headers.get("origin"),
    )
