"""Participants: a user's registration in a competition, and the decisions on it."""
