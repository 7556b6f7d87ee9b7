"""Loading competition.yaml safely: size, node, depth and alias-expansion limits, safe tags only.

Timestamps are not resolved by YAML: every date stays a string and `dates` parses it, so
that an impossible date is a per-field error rather than a crash of the whole load.

The limits are checked on the event stream before any node is built, so that a hostile
document costs one linear pass and little memory: a 1 MB list of tiny scalars would
otherwise take a minute and hundreds of megabytes to compose. Real bundles hold a few
hundred values (the examples: 125 to 210); MAX_NODES leaves room for hundreds of phases
and columns while the largest accepted document loads in about a quarter of a second.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 20_000
MAX_ALIASES = 1000
MAX_EXPANDED_NODES = 200_000
# Every whole number a bundle holds ends in a 64-bit database column.
MAX_INTEGER = 2**63 - 1
MAX_INTEGER_CHARACTERS = 64

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


def _construct_integer(loader: SafeConstructor, node: yaml.ScalarNode) -> int:
    """A whole number of at most 64 bits. Python's own limit (4,300 digits) raises a bare
    ValueError, and a long `1:2:3:...` sexagesimal number takes quadratic time."""
    text = str(node.value)
    shown = text if len(text) <= 24 else f"{text[:20]}..."
    if len(text) > MAX_INTEGER_CHARACTERS:
        raise ConstructorError(None, None, f"the number {shown} is too long", node.start_mark)
    try:
        value = int(SafeConstructor.construct_yaml_int(loader, node))
    except (ValueError, IndexError):
        raise ConstructorError(
            None, None, f"{shown!r} is not a whole number", node.start_mark
        ) from None
    if abs(value) > MAX_INTEGER:
        raise ConstructorError(
            None, None, f"the number {shown} is too large (at most {MAX_INTEGER})", node.start_mark
        )
    return value


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_integer)
# An explicit `!!timestamp` tag stays text too, so that `dates` reports it per field.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def _check_events(text: str) -> int:
    """One linear pass over the event stream: node count, nesting depth and alias count.

    Returns the number of aliases: without any, the document cannot expand."""
    depth = 0
    nodes = 0
    aliases = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                raise YamlError(f"has more than {MAX_NODES} values")
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
    return aliases


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _expanded_size(node: yaml.Node) -> int:
    """Nodes the document would have with every alias expanded (alias bombs grow this).

    An alias may point at a collection that holds it (`&a [*a]`): such a document never
    ends when expanded, and a walk that does not notice would not end either.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, children_done = stack.pop()
        children = _children(current)
        if children_done:
            total = 1 + sum(sizes[id(child)] for child in children)
            if total > MAX_EXPANDED_NODES:
                raise YamlError(f"expands to more than {MAX_EXPANDED_NODES} nodes (alias bomb?)")
            sizes[id(current)] = total
            open_nodes.discard(id(current))
            continue
        if id(current) in sizes:
            continue
        if id(current) in open_nodes:
            line = current.start_mark.line + 1 if current.start_mark else 0
            raise YamlError(f"an alias at line {line} refers to a collection that holds it")
        open_nodes.add(id(current))
        stack.append((current, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(node)]


def load(raw: bytes, *, name: str = "competition.yaml") -> Any:
    """Parses YAML text with the safe loader, or raises YamlError with a clear message."""
    if len(raw) > MAX_BYTES:
        raise YamlError(f"{name} is {len(raw)} bytes; the limit is {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlError(f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        aliases = _check_events(text)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if aliases:
                _expanded_size(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except YamlError as exc:
        raise YamlError(f"{name}: {exc}") from None
    except ConstructorError as exc:
        where = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise YamlError(f"{name}: unsupported YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{name} is not valid YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise YamlError(f"{name}: nested too deeply") from None
    except (ValueError, TypeError, AttributeError, ArithmeticError) as exc:
        # A safe constructor choking on an explicitly tagged value (`!!float x`).
        raise YamlError(f"{name}: a value cannot be read ({exc})") from None


def _one_line(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem
