"""The server's name for `podium_bundle.yamlsafe`, the safe YAML loader bundles are read with."""

from podium_bundle.yamlsafe import MAX_NODES, YamlError, load

__all__ = ["MAX_NODES", "YamlError", "load"]
