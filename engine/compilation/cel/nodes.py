"""The syntax tree of a CEL expression: small immutable nodes, for translation and static analysis."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant: None, bool, int, UInt (an unsigned literal such as `1u`), float, str or bytes."""

    value: Any


@dataclass(frozen=True, slots=True)
class Ident:
    """A name read from the activation or bound by a macro; a root-scoped `.name` keeps its dot."""

    name: str


@dataclass(frozen=True, slots=True)
class Select:
    """`operand.field`: a map's entry."""

    operand: Node
    field: str


@dataclass(frozen=True, slots=True)
class Presence:
    """`has(operand.field)`: whether the map holds the field."""

    operand: Node
    field: str


@dataclass(frozen=True, slots=True)
class Index:
    """`operand[index]`: a list's element or a map's entry."""

    operand: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Call:
    """`function(args)`, or `target.function(args)` when called receiver-style."""

    function: str
    args: tuple[Node, ...]
    target: Node | None = None


@dataclass(frozen=True, slots=True)
class Unary:
    """`!operand` or `-operand` (an even run of the same operator is dropped by the parser)."""

    operator: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    """An infix operator: arithmetic, a relation (`in` included), `&&` or `||`."""

    operator: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Conditional:
    """`condition ? if_true : if_false`."""

    condition: Node
    if_true: Node
    if_false: Node


@dataclass(frozen=True, slots=True)
class CreateList:
    elements: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class CreateMap:
    entries: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class Comprehension:
    """A macro over a list (or a map's keys): all, exists, exists_one, filter, or map.

    `condition` is the predicate of all/exists/exists_one/filter and the optional filter of the
    three-argument map; `result` is map's transform.
    """

    macro: str
    target: Node
    variable: str
    condition: Node | None
    result: Node | None


Node: TypeAlias = (
    Literal | Ident | Select | Presence | Index | Call | Unary | Binary | Conditional
    | CreateList | CreateMap | Comprehension
)

NODE_TYPES = (Literal, Ident, Select, Presence, Index, Call, Unary, Binary, Conditional, CreateList, CreateMap, Comprehension)


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, the root first (iteratively: a deep tree does not exhaust the stack)."""
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        yield current
        for name in current.__slots__:
            value = getattr(current, name)
            if isinstance(value, NODE_TYPES):
                stack.append(value)
            elif isinstance(value, tuple):
                for item in value:
                    stack.extend(item if isinstance(item, tuple) else (item,))


def depth(node: Node) -> int:
    """How many nodes deep the tree goes (iteratively)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        for name in current.__slots__:
            value = getattr(current, name)
            children = value if isinstance(value, tuple) else (value,)
            for child in children:
                for item in child if isinstance(child, tuple) else (child,):
                    if isinstance(item, NODE_TYPES):
                        stack.append((item, level + 1))
    return deepest
