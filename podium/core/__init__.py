"""Pieces every app shares: the API's error shape and small model helpers."""
