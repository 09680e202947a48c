"""Prometheus metrics of one app instance (own registry, so several apps can coexist)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "skucut_requests", "Requests by route and status", ["route", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "skucut_request_seconds", "Request latency", ["route"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60), registry=self.registry,
        )  # fmt: skip
        self.in_flight = Gauge("skucut_in_flight", "Images being processed", registry=self.registry)
        self.queued = Gauge(
            "skucut_queued",
            "Admitted requests not yet processing (uploading or waiting)",
            registry=self.registry,
        )
        self.rejected = Counter(
            "skucut_rejected", "Requests refused by a limit", ["reason"], registry=self.registry
        )

    def watch(self, admission) -> None:
        """The gauges read the admission's counts whenever they are scraped."""
        self.in_flight.set_function(lambda: admission.running)
        self.queued.set_function(lambda: admission.waiting)
