"""Submissions, their scores and the status state machine."""
