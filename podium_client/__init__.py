"""Podium's command-line and Python client. It speaks HTTP to the REST API and nothing else."""
