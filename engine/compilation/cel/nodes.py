"""The syntax tree of a CEL expression: small immutable nodes, for translation and static analysis."""

from __future__ import annotations

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
