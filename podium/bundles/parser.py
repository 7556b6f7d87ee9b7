"""The server's name for `podium_bundle.parser`: the one bundle parser, shared with the client."""

from podium_bundle.parser import check, find_yaml, parse, unpacked

__all__ = ["check", "find_yaml", "parse", "unpacked"]
