"""Derived metrics: pure, vectorised functions of data and an evaluation moment."""

from bot.metrics.account import account_metrics, posting_slots
from bot.metrics.catalogue import (
    ACCOUNT_CATALOGUE,
    ACCOUNT_METRICS,
    CATALOGUE,
    POST_METRICS,
    SCOPES,
    Metric,
    metric_names,
)
from bot.metrics.compute import post_metrics

__all__ = [
    "ACCOUNT_CATALOGUE",
    "ACCOUNT_METRICS",
    "CATALOGUE",
    "POST_METRICS",
    "SCOPES",
    "Metric",
    "account_metrics",
    "metric_names",
    "post_metrics",
    "posting_slots",
]
