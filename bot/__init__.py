"""Insight Narrator: LinkedIn post analytics explained in plain words, with the numbers."""

__version__ = "0.1.0"
