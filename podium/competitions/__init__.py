"""Competitions, their pages, phases, tasks and solutions; bundle import and export."""
