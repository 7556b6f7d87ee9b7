"""Podium's compute worker: runs one job at a time in a sandbox. Imports nothing of the server."""
