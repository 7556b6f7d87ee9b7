"""Loading competition.yaml safely: size, depth and alias-expansion limits, safe tags only.

Timestamps are not resolved by YAML: every date stays a string and `dates` parses it, so
that an impossible date is a per-field error rather than a crash of the whole load.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 1000
MAX_EXPANDED_NODES = 200_000

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlError(ValueError):
    pass


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    pass


# Drop YAML 1.1's implicit timestamp resolution (see the module docstring).
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def _check_events(text: str) -> None:
    """One linear pass over the event stream: nesting depth and alias count."""
    depth = 0
    aliases = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(f"nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise YamlError(f"more than {MAX_ALIASES} aliases")


def _expanded_size(node: yaml.Node) -> int:
    """Nodes the document would have with every alias expanded (alias bombs grow this)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, children_done = stack.pop()
        if id(current) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(current, yaml.SequenceNode):
            children = list(current.value)
        elif isinstance(current, yaml.MappingNode):
            children = [part for pair in current.value for part in pair]
        if children_done or not children:
            total = 1 + sum(sizes[id(child)] for child in children)
            if total > MAX_EXPANDED_NODES:
                raise YamlError(f"expands to more than {MAX_EXPANDED_NODES} nodes (alias bomb?)")
            sizes[id(current)] = total
        else:
            stack.append((current, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(node)]


_LINE = re.compile(r"line (\d+)")


def load(raw: bytes, *, name: str = "competition.yaml") -> Any:
    """Parses YAML text with the safe loader, or raises YamlError with a clear message."""
    if len(raw) > MAX_BYTES:
        raise YamlError(f"{name} is {len(raw)} bytes; the limit is {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlError(f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        _check_events(text)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _expanded_size(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except YamlError as exc:
        raise YamlError(f"{name}: {exc}") from None
    except yaml.constructor.ConstructorError as exc:
        where = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise YamlError(f"{name}: unsupported YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{name} is not valid YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise YamlError(f"{name}: nested too deeply") from None


def _one_line(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem
