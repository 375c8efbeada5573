"""Derived metrics: pure, vectorised functions of data and an evaluation moment."""

from bot.metrics.account import account_metrics, account_metrics_of, posting_slots
from bot.metrics.catalogue import (
    ACCOUNT_CATALOGUE,
    ACCOUNT_METRICS,
    CATALOGUE,
    POST_METRICS,
    SCOPES,
    Metric,
    metric_names,
)
from bot.metrics.compute import post_metrics, post_metrics_of
from bot.metrics.observed import Observed, observe

__all__ = [
    "ACCOUNT_CATALOGUE",
    "ACCOUNT_METRICS",
    "CATALOGUE",
    "POST_METRICS",
    "SCOPES",
    "Metric",
    "Observed",
    "account_metrics",
    "account_metrics_of",
    "metric_names",
    "observe",
    "post_metrics",
    "post_metrics_of",
    "posting_slots",
]
