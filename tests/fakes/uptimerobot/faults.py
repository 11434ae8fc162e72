"""Faults a test injects into the fake: error statuses, slow answers, lost responses, stale reads."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Fault", "FaultInjection"]


@dataclass
class Fault:
    method: str
    path: str
    kind: str  # "status" | "delay" | "lose_response" | "stale"
    remaining: int
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "Service Unavailable"
    delay_s: float = 0.0


class FaultInjection:
    """The fault-injecting part of :class:`~tests.fakes.uptimerobot.server.FakeUptimeRobot`.

    The server sets up the state used here (``_lock``, ``_faults``, ``faults_fired``) and asks
    :meth:`_take_fault` for each request.
    """

    _lock: threading.RLock
    _faults: deque[Fault]
    faults_fired: int

    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int = 503,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching calls with ``status`` (not processed)."""
        self._add_fault(
            Fault(method, path, "status", times, status, dict(headers or {}), message or f"injected {status}")
        )

    def delay(self, method: str, path: str, seconds: float, *, times: int = 1) -> None:
        """Process the next ``times`` matching calls, then wait ``seconds`` before answering."""
        self._add_fault(Fault(method, path, "delay", times, delay_s=seconds))

    def lose_response(self, method: str = "POST", path: str = "/monitors", *, times: int = 1) -> None:
        """Process the next ``times`` matching calls, then close the connection unanswered."""
        self._add_fault(Fault(method, path, "lose_response", times))

    def serve_stale(self, path: str = "/monitors/{id}", *, times: int = 1) -> None:
        """Answer the next ``times`` GETs of ``path`` from a replica that missed the latest write.

        UptimeRobot's reads can come from a replica that lags the writes (its Terraform
        provider settles reads for this reason: CHANGELOG 1.4.0, "eventual-consistency waits
        ... requiring consecutive matching reads"). The replica shows every monitor as it was
        before its latest POST, PATCH or DELETE here: a just-created monitor is missing (404,
        absent from listings), an updated one has its old values, a deleted one is still there.
        """
        self._add_fault(Fault("GET", path, "stale", times))

    def pending_faults(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._faults)

    def _add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.path == path and fault.remaining > 0:
                    fault.remaining -= 1
                    self.faults_fired += 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None
