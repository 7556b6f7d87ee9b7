"""The server's name for the bundle problems of `podium_bundle.problems` (the same classes)."""

from podium_bundle.problems import BundleInvalid, Problem, Problems, join

__all__ = ["BundleInvalid", "Problem", "Problems", "join"]
