"""Prometheus-style counters of sign-ins, fed by trachea-login's events.

Dependency-free, to keep the example small: with ``prometheus_client`` the same callback is
``LOGINS.labels(method=event.data["method"]).inc()`` on a ``Counter``, and ``GET /metrics``
is its ``generate_latest()``.
"""

from __future__ import annotations

import threading
from collections import Counter

from trachea_login import TracheaEvent


class LoginMetrics:
    """``trachea_logins_total{method}`` and ``trachea_login_failures_total{reason}``.

    :meth:`on_event` is a *sync* ``on_event`` callback: passed on its own
    (``TracheaLogin(on_event=metrics.on_event)``) trachea-login runs it in a worker thread, off
    the event loop and off the response path, hence the lock (``GET /metrics`` reads on the
    loop). The shop calls it from its async callback instead (``events.py``): a counter is
    cheap enough for the event loop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.logins: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()

    def on_event(self, event: TracheaEvent) -> None:
        with self._lock:
            if event.name == "login":
                self.logins[str(event.data.get("method", "unknown"))] += 1
            elif event.name == "login_failed":
                self.failures[str(event.data.get("reason", "unknown"))] += 1

    def render(self) -> str:
        """The counters in Prometheus' text exposition format (``GET /metrics``)."""
        with self._lock:
            lines = [
                "# HELP trachea_logins_total Successful sign-ins, by method.",
                "# TYPE trachea_logins_total counter",
                *(
                    f'trachea_logins_total{{method="{method}"}} {count}'
                    for method, count in sorted(self.logins.items())
                ),
                "# HELP trachea_login_failures_total Refused sign-ins, by reason.",
                "# TYPE trachea_login_failures_total counter",
                *(
                    f'trachea_login_failures_total{{reason="{reason}"}} {count}'
                    for reason, count in sorted(self.failures.items())
                ),
            ]
        return "\n".join(lines) + "\n"
