"""A CEL syntax tree turned, once, into nested Python closures that evaluate it.

Every node becomes a function of `(activation, frame)`: the activation maps top-level names to
values; the frame holds the variables the macros bind, each in a slot fixed at translation time, so
that no name is looked up at evaluation time unless it is the activation's. Function names, literal
patterns and operator overloads are resolved here too; the closures only test the types of the
values they meet, taking a fast path for the common ones and leaving the rest to `values`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.compilation.cel import values
from engine.compilation.cel.errors import CelEvaluationError, CelSyntaxError
from engine.compilation.cel.nodes import (
    Binary,
    Call,
    Comprehension,
    Conditional,
    CreateList,
    CreateMap,
    Ident,
    Index,
    Literal,
    Node,
    Presence,
    Select,
    Unary,
)
from engine.compilation.cel.parser import parse
from engine.compilation.cel.values import INT_MAX, INT_MIN, UINT_MAX, fail, no_overload

Closure = Callable[[Mapping[str, Any], Any], Any]
Scope = Mapping[str, int]  # a macro variable's name to its slot in the frame

_CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    "int": values.to_int,
    "uint": values.to_uint,
    "double": values.to_double,
    "string": values.to_string,
    "bytes": values.to_bytes,
    "dyn": lambda value: value,
    "size": values.size,
}
_STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "contains": str.__contains__,
    "startsWith": str.startswith,
    "endsWith": str.endswith,
}
# Standard functions on types the translation does not hold (type values, timestamps, durations).
_UNSUPPORTED = frozenset({
    "type", "timestamp", "duration", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
    "getFullYear", "getHours", "getMilliseconds", "getMinutes", "getMonth", "getSeconds",
})


def translate(source: str | Node, functions: Mapping[str, Callable[..., Any]]) -> Callable[[Mapping[str, Any]], Any]:
    """The evaluator of a CEL expression (its source, or its tree already parsed): activation in, the value the Rust binding returns out.

    CelSyntaxError if the expression does not translate; the evaluator raises CelEvaluationError for
    CEL's runtime errors and lets a registered function's own exception through.
    """
    translation = _Translation(functions)
    root = translation.node(parse(source) if isinstance(source, str) else source, {})
    slots = translation.slots

    def evaluate(activation: Mapping[str, Any]) -> Any:
        result = root(activation, [None] * slots if slots else ())
        kind = type(result)
        if kind is bool or kind is str or kind is float or result is None:
            return result
        return values.export(result)

    return evaluate


class _Translation:
    """The closures of one expression, and the frame slots its macros need."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]]):
        self.functions = functions
        self.slots = 0

    def node(self, node: Node, scope: Scope) -> Closure:
        if isinstance(node, Literal):
            return _constant(node.value)
        if isinstance(node, Ident):
            return _frame_variable(scope[node.name]) if node.name in scope else _variable(node.name)
        if isinstance(node, Select):
            return self.select(node, scope)
        if isinstance(node, Presence):
            return _presence(self.node(node.operand, scope), node.field)
        if isinstance(node, Index):
            return _index(self.node(node.operand, scope), self.node(node.index, scope))
        if isinstance(node, Call):
            return self.call(node, scope)
        if isinstance(node, Unary):
            operand = self.node(node.operand, scope)
            return _logical_not(operand) if node.operator == "!" else _negate(operand)
        if isinstance(node, Binary):
            return self.binary(node, scope)
        if isinstance(node, Conditional):
            return _conditional(*(self.node(n, scope) for n in (node.condition, node.if_true, node.if_false)))
        if isinstance(node, CreateList):
            return _create_list(tuple(self.node(e, scope) for e in node.elements))
        if isinstance(node, CreateMap):
            return _create_map(tuple((self.node(k, scope), self.node(v, scope)) for k, v in node.entries))
        return self.comprehension(node, scope)

    def select(self, node: Select, scope: Scope) -> Closure:
        operand = node.operand
        if isinstance(operand, Ident) and operand.name not in scope:
            return _select_variable(operand.name, node.field)  # `facts.x`: one closure, not two
        return _select(self.node(operand, scope), node.field)

    def binary(self, node: Binary, scope: Scope) -> Closure:
        operator = node.operator
        if operator in ("==", "!="):
            equal = self.equality(node, scope)
            return equal if operator == "==" else _logical_not(equal)
        left, right = self.node(node.left, scope), self.node(node.right, scope)
        if operator == "&&":
            return _logical_and(left, right)
        if operator == "||":
            return _logical_or(left, right)
        if operator == "in":
            return _membership(left, right)
        if operator in ("<", "<=", ">", ">="):
            return _ORDERINGS[operator](left, right)
        return _ARITHMETIC[operator](left, right)

    def equality(self, node: Binary, scope: Scope) -> Closure:
        """`a == b`; against a null, bool or string literal, a plain Python test says as much."""
        for literal, other in ((node.right, node.left), (node.left, node.right)):
            if isinstance(literal, Literal) and (literal.value is None or type(literal.value) in (bool, str)):
                return _equals_constant(self.node(other, scope), literal.value)
        return _equals(self.node(node.left, scope), self.node(node.right, scope))

    def call(self, node: Call, scope: Scope) -> Closure:
        name, target = node.function, node.target
        if name in _UNSUPPORTED:
            raise CelSyntaxError(f"{name}() is not supported: the translation holds no type, timestamp or duration")
        args = tuple(self.node(a, scope) for a in node.args)
        if target is None and name in _CONVERSIONS and len(args) == 1:
            return _builtin(_CONVERSIONS[name], args[0])
        if target is not None:
            receiver = self.node(target, scope)
            if name == "size" and not args:
                return _builtin(values.size, receiver)
            if name in _STRING_TESTS and len(args) == 1:
                return _string_test(name, _STRING_TESTS[name], receiver, args[0])
            if name == "matches" and len(args) == 1:
                return self.matches(receiver, node.args[0], args[0])
            args = (receiver, *args)
        if name in _CONVERSIONS or name in _STRING_TESTS or name in ("matches", "has"):
            return _undefined(name, args)  # the binding has no other overload of these (`matches(s, p)`)
        function = self.functions.get(name)
        return _undefined(name, args) if function is None else _registered(name, function, args)

    def matches(self, receiver: Closure, pattern_node: Node, pattern: Closure) -> Closure:
        """`s.matches(p)`: a literal pattern is translated now, and refused now if it cannot be."""
        if isinstance(pattern_node, Literal) and type(pattern_node.value) is str:
            try:
                compiled = _regex().compile_pattern(pattern_node.value)
            except _regex().RegexError as exc:
                raise CelSyntaxError(str(exc)) from None
            return _matches_constant(receiver, compiled.matches)
        return _matches(receiver, pattern)

    def comprehension(self, node: Comprehension, outer: Scope) -> Closure:
        target = self.node(node.target, outer)
        slot = self.slots
        self.slots += 1
        scope = {**outer, node.variable: slot}
        condition = None if node.condition is None else self.node(node.condition, scope)
        if node.macro == "map":
            assert node.result is not None
            return _map(target, slot, condition, self.node(node.result, scope))
        assert condition is not None
        return _PREDICATE_MACROS[node.macro](target, slot, condition)


# --- names, fields, literals --------------------------------------------------------------------------------


def _constant(value: Any) -> Closure:
    return lambda activation, frame: value


def _variable(name: str) -> Closure:
    def variable(activation: Mapping[str, Any], frame: Any) -> Any:
        try:
            return activation[name]
        except KeyError:
            fail(f"undeclared reference to '{name}'")

    return variable


def _frame_variable(slot: int) -> Closure:
    return lambda activation, frame: frame[slot]


def _select_variable(name: str, field: str) -> Closure:
    def select_variable(activation: Mapping[str, Any], frame: Any) -> Any:
        try:
            container = activation[name]
        except KeyError:
            fail(f"undeclared reference to '{name}'")
        if type(container) is dict:
            try:
                return container[field]
            except KeyError:
                fail(f"no such key {field!r}")
        return values.select(container, field)

    return select_variable


def _select(operand: Closure, field: str) -> Closure:
    def select(activation: Mapping[str, Any], frame: Any) -> Any:
        container = operand(activation, frame)
        if type(container) is dict:
            try:
                return container[field]
            except KeyError:
                fail(f"no such key {field!r}")
        return values.select(container, field)

    return select


def _presence(operand: Closure, field: str) -> Closure:
    def presence(activation: Mapping[str, Any], frame: Any) -> bool:
        container = operand(activation, frame)
        if type(container) is dict:
            return field in container
        return values.has_field(container, field)

    return presence


def _index(operand: Closure, key: Closure) -> Closure:
    def index(activation: Mapping[str, Any], frame: Any) -> Any:
        container = operand(activation, frame)
        position = key(activation, frame)
        kind = type(container)
        if kind is dict and type(position) is str:
            try:
                return container[position]
            except KeyError:
                fail(f"no such key {position!r}")
        if kind is list and type(position) is int and 0 <= position < len(container):
            return container[position]
        return values.index(container, position)

    return index


def _create_list(elements: tuple[Closure, ...]) -> Closure:
    return lambda activation, frame: [element(activation, frame) for element in elements]


def _create_map(entries: tuple[tuple[Closure, Closure], ...]) -> Closure:
    def create_map(activation: Mapping[str, Any], frame: Any) -> dict[Any, Any]:
        result = {}
        for key, value in entries:
            name = key(activation, frame)
            if type(name) is not str:
                values.map_key(name)
            result[name] = value(activation, frame)  # binding: a repeated key keeps its last value (spec: error)
        return result

    return create_map


# --- logic --------------------------------------------------------------------------------------------------


def _logical_or(left: Closure, right: Closure) -> Closure:
    """CEL's commutative `||`: true if either side is, even if the other fails; else the error, the
    right side's first (binding: when both fail, the right one is reported)."""

    def logical_or(activation: Mapping[str, Any], frame: Any) -> Any:
        error = None
        try:
            a = left(activation, frame)
        except Exception as exc:  # noqa: BLE001  # any error, a registered function's too, as in the binding
            error, a = exc, None
        if a is True:
            return True
        b = right(activation, frame)
        if b is True:
            return True
        if error is not None:
            raise error
        if a is False and b is False:
            return False
        no_overload("||", a, b)

    return logical_or


def _logical_and(left: Closure, right: Closure) -> Closure:
    def logical_and(activation: Mapping[str, Any], frame: Any) -> Any:
        error = None
        try:
            a = left(activation, frame)
        except Exception as exc:  # noqa: BLE001  # as in `||`
            error, a = exc, None
        if a is False:
            return False
        b = right(activation, frame)
        if b is False:
            return False
        if error is not None:
            raise error
        if a is True and b is True:
            return True
        no_overload("&&", a, b)

    return logical_and


def _logical_not(operand: Closure) -> Closure:
    def logical_not(activation: Mapping[str, Any], frame: Any) -> bool:
        value = operand(activation, frame)
        if value is True:
            return False
        if value is False:
            return True
        no_overload("!", value)

    return logical_not


def _conditional(condition: Closure, if_true: Closure, if_false: Closure) -> Closure:
    def conditional(activation: Mapping[str, Any], frame: Any) -> Any:
        test = condition(activation, frame)
        if test is True:
            return if_true(activation, frame)
        if test is False:
            return if_false(activation, frame)
        no_overload("?:", test)

    return conditional


# --- relations ----------------------------------------------------------------------------------------------


def _equals(left: Closure, right: Closure) -> Closure:
    def equals(activation: Mapping[str, Any], frame: Any) -> Any:  # a bool
        a = left(activation, frame)
        b = right(activation, frame)
        kind = type(a)
        if kind is type(b) and (kind is str or kind is float or kind is bool):
            return a == b
        return values.equals(a, b)

    return equals


def _equals_constant(operand: Closure, constant: Any) -> Closure:
    if constant is None or type(constant) is bool:  # singletons: `1 == true` is false in CEL
        return lambda activation, frame: operand(activation, frame) is constant
    return lambda activation, frame: operand(activation, frame) == constant  # a str equals only a str


def _membership(element: Closure, container: Closure) -> Closure:
    def membership(activation: Mapping[str, Any], frame: Any) -> bool:
        item = element(activation, frame)
        collection = container(activation, frame)
        if type(item) is str:
            kind = type(collection)
            if kind is list or kind is dict:
                return item in collection
        return values.contains(collection, item)

    return membership


def _less_than(left: Closure, right: Closure) -> Closure:
    def less_than(activation: Mapping[str, Any], frame: Any) -> Any:  # a bool
        a = left(activation, frame)
        b = right(activation, frame)
        kind = type(a)
        if kind is type(b):
            if kind is float or kind is str:
                if a < b:
                    return True
                if a >= b:  # neither holds for NaN, which is an error
                    return False
            elif kind is int and INT_MIN <= a <= UINT_MAX and INT_MIN <= b <= UINT_MAX:
                return a < b
        return values.less(a, b, "<")

    return less_than


def _less_or_equal(left: Closure, right: Closure) -> Closure:
    def less_or_equal(activation: Mapping[str, Any], frame: Any) -> Any:  # a bool
        a = left(activation, frame)
        b = right(activation, frame)
        kind = type(a)
        if kind is type(b):
            if kind is float or kind is str:
                if a <= b:
                    return True
                if a > b:
                    return False
            elif kind is int and INT_MIN <= a <= UINT_MAX and INT_MIN <= b <= UINT_MAX:
                return a <= b
        return not values.less(b, a, "<=")

    return less_or_equal


def _greater_than(left: Closure, right: Closure) -> Closure:
    def greater_than(activation: Mapping[str, Any], frame: Any) -> Any:  # a bool
        a = left(activation, frame)
        b = right(activation, frame)
        kind = type(a)
        if kind is type(b):
            if kind is float or kind is str:
                if a > b:
                    return True
                if a <= b:
                    return False
            elif kind is int and INT_MIN <= a <= UINT_MAX and INT_MIN <= b <= UINT_MAX:
                return a > b
        return values.less(b, a, ">")

    return greater_than


def _greater_or_equal(left: Closure, right: Closure) -> Closure:
    def greater_or_equal(activation: Mapping[str, Any], frame: Any) -> Any:  # a bool
        a = left(activation, frame)
        b = right(activation, frame)
        kind = type(a)
        if kind is type(b):
            if kind is float or kind is str:
                if a >= b:
                    return True
                if a < b:
                    return False
            elif kind is int and INT_MIN <= a <= UINT_MAX and INT_MIN <= b <= UINT_MAX:
                return a >= b
        return not values.less(a, b, ">=")

    return greater_or_equal


_ORDERINGS: dict[str, Callable[[Closure, Closure], Closure]] = {
    "<": _less_than,
    "<=": _less_or_equal,
    ">": _greater_than,
    ">=": _greater_or_equal,
}


# --- arithmetic ---------------------------------------------------------------------------------------------


def _add(left: Closure, right: Closure) -> Closure:
    def add(activation: Mapping[str, Any], frame: Any) -> Any:
        a = left(activation, frame)
        b = right(activation, frame)
        kind = type(a)
        if kind is type(b):
            if kind is float or kind is str:
                return a + b
            if kind is int and INT_MIN <= a <= INT_MAX and INT_MIN <= b <= INT_MAX:
                total = a + b
                if INT_MIN <= total <= INT_MAX:
                    return total
        return values.add(a, b)

    return add


def _subtract(left: Closure, right: Closure) -> Closure:
    def subtract(activation: Mapping[str, Any], frame: Any) -> Any:
        a = left(activation, frame)
        b = right(activation, frame)
        kind = type(a)
        if kind is type(b):
            if kind is float:
                return a - b
            if kind is int and INT_MIN <= a <= INT_MAX and INT_MIN <= b <= INT_MAX:
                difference = a - b
                if INT_MIN <= difference <= INT_MAX:
                    return difference
        return values.subtract(a, b)

    return subtract


def _multiply(left: Closure, right: Closure) -> Closure:
    def multiply(activation: Mapping[str, Any], frame: Any) -> Any:
        a = left(activation, frame)
        b = right(activation, frame)
        if type(a) is float and type(b) is float:
            return a * b
        return values.multiply(a, b)

    return multiply


def _divide(left: Closure, right: Closure) -> Closure:
    def divide(activation: Mapping[str, Any], frame: Any) -> Any:
        a = left(activation, frame)
        b = right(activation, frame)
        if type(a) is float and type(b) is float and b:
            return a / b
        return values.divide(a, b)

    return divide


def _remainder(left: Closure, right: Closure) -> Closure:
    return lambda activation, frame: values.remainder(left(activation, frame), right(activation, frame))


def _negate(operand: Closure) -> Closure:
    def negate(activation: Mapping[str, Any], frame: Any) -> Any:
        value = operand(activation, frame)
        return -value if type(value) is float else values.negate(value)

    return negate


_ARITHMETIC: dict[str, Callable[[Closure, Closure], Closure]] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
    "%": _remainder,
}


# --- functions ----------------------------------------------------------------------------------------------


def _builtin(function: Callable[[Any], Any], argument: Closure) -> Closure:
    return lambda activation, frame: function(argument(activation, frame))


def _string_test(name: str, test: Callable[[str, str], bool], receiver: Closure, argument: Closure) -> Closure:
    def string_test(activation: Mapping[str, Any], frame: Any) -> bool:
        text = receiver(activation, frame)
        part = argument(activation, frame)
        if type(text) is str and type(part) is str:
            return test(text, part)
        no_overload(name, text, part)

    return string_test


def _matches_constant(receiver: Closure, matches: Callable[[str], bool]) -> Closure:
    def matches_constant(activation: Mapping[str, Any], frame: Any) -> bool:
        text = receiver(activation, frame)
        if type(text) is str:
            return matches(text)
        no_overload("matches", text)

    return matches_constant


def _matches(receiver: Closure, pattern: Closure) -> Closure:
    def matches(activation: Mapping[str, Any], frame: Any) -> bool:
        text = receiver(activation, frame)
        source = pattern(activation, frame)
        if type(text) is not str or type(source) is not str:
            no_overload("matches", text, source)
        try:
            compiled = _regex().compile_pattern(source)
        except _regex().RegexError as exc:
            raise CelEvaluationError(str(exc)) from None
        return compiled.matches(text)

    return matches


def _registered(name: str, function: Callable[..., Any], args: tuple[Closure, ...]) -> Closure:
    """A registered Python function; its exceptions pass unchanged, its result is checked."""
    argument, from_function = values.argument, values.from_function
    if len(args) == 1:
        (first,) = args
        return lambda activation, frame: from_function(function(argument(first(activation, frame))), name)
    if len(args) == 2:
        first, second = args
        return lambda activation, frame: from_function(
            function(argument(first(activation, frame)), argument(second(activation, frame))), name
        )
    return lambda activation, frame: from_function(function(*[argument(a(activation, frame)) for a in args]), name)


def _undefined(name: str, args: tuple[Closure, ...]) -> Closure:
    """A function the binding does not know: its arguments are evaluated (and may fail) first."""

    def undefined(activation: Mapping[str, Any], frame: Any) -> Any:
        for argument in args:
            argument(activation, frame)
        fail(f"undeclared reference to function '{name}' (or no overload for its arguments)")

    return undefined


# --- macros -------------------------------------------------------------------------------------------------
# binding: a macro stops at the first element that decides it, and an error stops it at once, even
# when a later element would decide it (spec: such an error is absorbed). Over a map it runs on the
# keys in the map's order here, in no set order in the binding.


def _quantifier(name: str, decisive: bool, target: Closure, slot: int, condition: Closure) -> Closure:
    """`all` (False decides) and `exists` (True decides): the first element that decides ends the loop."""

    def quantify(activation: Mapping[str, Any], frame: Any) -> bool:
        for item in values.iterate(target(activation, frame), name):
            frame[slot] = item
            holds = condition(activation, frame)
            if holds is decisive:
                return decisive
            if holds is not (not decisive):
                no_overload(name, holds)
        return not decisive

    return quantify


def _all(target: Closure, slot: int, condition: Closure) -> Closure:
    return _quantifier("all", False, target, slot, condition)


def _exists(target: Closure, slot: int, condition: Closure) -> Closure:
    return _quantifier("exists", True, target, slot, condition)


def _exists_one(target: Closure, slot: int, condition: Closure) -> Closure:
    def exists_one(activation: Mapping[str, Any], frame: Any) -> bool:
        count = 0
        for item in values.iterate(target(activation, frame), "exists_one"):
            frame[slot] = item
            holds = condition(activation, frame)
            if holds is True:
                count += 1
            elif holds is not False:
                no_overload("exists_one", holds)
        return count == 1

    return exists_one


def _filter(target: Closure, slot: int, condition: Closure) -> Closure:
    def filter_(activation: Mapping[str, Any], frame: Any) -> list[Any]:
        kept = []
        for item in values.iterate(target(activation, frame), "filter"):
            frame[slot] = item
            holds = condition(activation, frame)
            if holds is True:
                kept.append(item)
            elif holds is not False:
                no_overload("filter", holds)
        return kept

    return filter_


def _map(target: Closure, slot: int, condition: Closure | None, result: Closure) -> Closure:
    def map_(activation: Mapping[str, Any], frame: Any) -> list[Any]:
        mapped = []
        for item in values.iterate(target(activation, frame), "map"):
            frame[slot] = item
            if condition is not None:
                holds = condition(activation, frame)
                if holds is False:
                    continue
                if holds is not True:
                    no_overload("map", holds)
            mapped.append(result(activation, frame))
        return mapped

    return map_


_PREDICATE_MACROS: dict[str, Callable[[Closure, int, Closure], Closure]] = {
    "all": _all,
    "exists": _exists,
    "exists_one": _exists_one,
    "filter": _filter,
}


def _regex() -> Any:
    """The Rust regex dialect's translation, imported when a `matches` is met: few rules use it, and its tables cost."""
    from engine.compilation.cel import regex

    return regex
