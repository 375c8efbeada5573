"""Derived metrics: pure, vectorised functions of data and an evaluation moment."""

from bot.metrics.catalogue import CATALOGUE, POST_METRICS, Metric, metric_names
from bot.metrics.compute import post_metrics

__all__ = ["CATALOGUE", "POST_METRICS", "Metric", "metric_names", "post_metrics"]
