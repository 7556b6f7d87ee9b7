"""Podium: the server (Django) of the evaluation-as-a-service platform."""

__version__ = "0.1.0"
