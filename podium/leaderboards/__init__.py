"""Leaderboards and their columns."""
