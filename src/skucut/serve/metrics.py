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

        # The served results' confidence: a quality drop (new kinds of photos, a worse model)
        # shows as the distribution moving down and the review share going up.
        self.confidence = Histogram(
            "skucut_result_confidence", "Confidence of served cutouts (skucut.review)",
            buckets=(0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0), registry=self.registry,
        )  # fmt: skip
        self.needs_review = Counter(
            "skucut_results_needing_review", "Served cutouts flagged for review",
            registry=self.registry,
        )  # fmt: skip

        self.feedback = Counter(
            "skucut_feedback", "User corrections received (POST /v1/feedback)", ["outcome"],
            registry=self.registry,
        )  # fmt: skip
        for outcome in ("accepted", "refused"):  # both series exist from the start, at 0
            self.feedback.labels(outcome)

    def observe_review(self, review) -> None:
        self.confidence.observe(review.confidence)
        if review.needs_review:
            self.needs_review.inc()

    def watch(self, admission) -> None:
        """The gauges read the admission's counts whenever they are scraped."""
        self.in_flight.set_function(lambda: admission.running)
        self.queued.set_function(lambda: admission.waiting)
