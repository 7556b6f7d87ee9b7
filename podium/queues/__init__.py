"""Compute queues: where a competition's jobs go."""
