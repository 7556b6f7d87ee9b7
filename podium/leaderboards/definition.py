"""Whether a leaderboard's definition holds together: the pure checks live in
`podium_bundle.leaderboard_definition`, shared by the bundle parser, the client and the API;
the server reads them under this name."""

from podium_bundle.leaderboard_definition import COMPUTATIONS, frontier_problems, problems

__all__ = ["COMPUTATIONS", "frontier_problems", "problems"]
