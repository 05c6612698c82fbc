"""CEL values held as plain Python values, and the operations on them, as the Rust binding runs them.

A CEL value is None (null), bool, int (int64), UInt (uint64), float (double), str, bytes, a list or a
map. The activation's values are taken as they come, without a conversion pass: lists and tuples
are lists, mappings are maps, and a Python int is read as the binding converts it (an int64; from
2**63 to 2**64 - 1 a uint64; beyond, a double). `export` turns a result into what the binding
returns to Python.

Each deviation of the binding from cel-spec that a rule can reach is matched, and marked `binding:`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NoReturn

from engine.compilation.cel.errors import CelEvaluationError

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
UINT_MAX = 2**64 - 1


class UInt(int):
    """A CEL uint64 (a `1u` literal, `uint()`): an int that does not mix with int in arithmetic."""

    __slots__ = ()


_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_UNSIGNED_TEXT = re.compile(r"\+?[0-9]+")
# Rust's f64::from_str: no blanks, no underscores, ASCII digits; inf, infinity and nan in any case.
_DOUBLE_TEXT = re.compile(r"[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)", re.IGNORECASE)


def fail(message: str) -> NoReturn:
    raise CelEvaluationError(message)


def type_name(value: Any) -> str:
    """The CEL type of a value, for error messages."""
    kind = type(value)
    if kind is bool:
        return "bool"
    if kind is int or kind is UInt:
        return _integer_kind(value)
    if kind is float:
        return "double"
    if kind is str:
        return "string"
    if value is None:
        return "null_type"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, Mapping):
        return "map"
    return type(value).__name__


def _integer_kind(value: int) -> str:
    """How the binding reads a Python int: int64, else uint64, else (converted) double."""
    if type(value) is UInt:
        return "uint"
    if INT_MIN <= value <= INT_MAX:
        return "int"
    return "uint" if 0 <= value <= UINT_MAX else "double"


def number(value: Any) -> tuple[str, Any]:
    """A numeric value's CEL type and value (a huge Python int becomes the double the binding makes)."""
    kind = type(value)
    if kind is float:
        return "double", value
    if kind is int or kind is UInt:
        integer_kind = _integer_kind(value)
        return integer_kind, (_int_to_double(value) if integer_kind == "double" else value)
    return type_name(value), value


def _int_to_double(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        fail(f"the integer {value} cannot be converted to a CEL value")


def no_overload(operator: str, *operands: Any) -> NoReturn:
    fail(f"no matching overload for {operator} on {', '.join(type_name(o) for o in operands)}")


# --- equality and ordering ------------------------------------------------------------------------------


def equals(a: Any, b: Any) -> bool:
    """CEL `==`: never an error; numbers compare across int, uint and double, bool is not a number."""
    ta, tb = type(a), type(b)
    if ta is tb and (ta is str or ta is float or ta is bool or a is None):
        return bool(a == b)
    if ta is bool or tb is bool or a is None or b is None:
        return False
    if ta in _NUMBERS and tb in _NUMBERS:
        kind_a, x = number(a)
        kind_b, y = number(b)
        if kind_a == "double" or kind_b == "double":  # binding: the integer is cast to f64, even past 2**53
            return float(x) == float(y)
        return bool(x == y)
    if isinstance(a, str) or isinstance(b, str):
        return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(equals(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == len(b) and all(_holds(b, key, value) for key, value in a.items())
    if isinstance(a, (bytes, bytearray)) and isinstance(b, (bytes, bytearray)):
        return bytes(a) == bytes(b)
    return False


_NUMBERS = frozenset({int, float, UInt})


def _holds(mapping: Mapping[Any, Any], key: Any, value: Any) -> bool:
    found, other = _entry(mapping, key)
    return found and equals(value, other)


def less(a: Any, b: Any, operator: str = "<") -> bool:
    """CEL `a < b`: an error for types that do not order, and for NaN (binding: spec says false)."""
    ta, tb = type(a), type(b)
    if ta is tb and (ta is str or ta is bool):
        return bool(a < b)
    if ta in _NUMBERS and tb in _NUMBERS:
        kind_a, x = number(a)
        kind_b, y = number(b)
        if kind_a == "double" or kind_b == "double":
            x, y = float(x), float(y)
            if math.isnan(x) or math.isnan(y):
                no_overload(operator, a, b)
        return bool(x < y)
    if isinstance(a, (bytes, bytearray)) and isinstance(b, (bytes, bytearray)):
        return bytes(a) < bytes(b)
    no_overload(operator, a, b)


# --- maps -----------------------------------------------------------------------------------------------


def _key_kind(key: Any) -> str | None:
    """The map key type the binding makes of a value; None if it cannot be a key."""
    kind = type(key)
    if kind is str:
        return "string"
    if kind is bool:
        return "bool"
    if kind is int or kind is UInt:
        integer_kind = _integer_kind(key)
        return None if integer_kind == "double" else integer_kind
    return None


def map_key(key: Any) -> Any:
    """A value used as a key (map literal, index, `in`): string, int, uint or bool, else an error."""
    if _key_kind(key) is None:
        fail(f"a {type_name(key)} cannot be a map key (keys are int, uint, bool or string)")
    return key


def _entry(mapping: Mapping[Any, Any], key: Any) -> tuple[bool, Any]:
    """Whether the map holds the key, with its value; keys are typed: 1, 1u and true are three keys."""
    if type(key) is str:
        if key in mapping:
            return True, mapping[key]
        return False, None
    kind = _key_kind(key)
    if kind is None or key not in mapping:
        return False, None
    for stored in mapping:  # Python conflates 1, 1u and True: find the stored key to compare its type
        if stored == key and _key_kind(stored) == kind:
            return True, mapping[stored]
    return False, None


def lookup(mapping: Mapping[Any, Any], key: Any) -> Any:
    found, value = _entry(mapping, map_key(key))
    if not found:
        fail(f"no such key {key!r}")
    return value


def contains(container: Any, element: Any) -> bool:
    """CEL `element in container`: list membership by CEL equality, or a map's key."""
    if type(container) is list or isinstance(container, (list, tuple)):
        if type(element) is str:
            return element in container  # a str equals only an equal str (and NaN is not a str)
        return any(equals(element, item) for item in container)
    if isinstance(container, Mapping):
        return _entry(container, map_key(element))[0]
    no_overload("in", element, container)


def iterate(target: Any, macro: str) -> Any:
    """What a macro runs over: a list's elements or a map's keys (binding: keys in no set order)."""
    if type(target) is list or isinstance(target, (list, tuple, Mapping)):
        return target
    no_overload(macro, target)


def index(container: Any, position: Any) -> Any:
    kind = type(container)
    if kind is list or kind is tuple:
        position_kind = type(position)
        if position_kind is int or position_kind is UInt:
            if 0 <= position < len(container):
                return container[position]
            fail(f"index out of bounds: {position}")
        fail(f"a list index must be an int or uint, got {type_name(position)}")  # binding: 1.0 too
    if isinstance(container, Mapping):
        return lookup(container, position)
    if isinstance(container, (list, tuple)):
        return index(list(container), position)
    no_overload("[]", container, position)


def select(operand: Any, field: str) -> Any:
    """`operand.field` on something that is not a dict (the callers try a dict first)."""
    if isinstance(operand, Mapping):
        if field in operand:
            return operand[field]
        fail(f"no such key {field!r}")
    no_overload(f".{field}", operand)


def has_field(operand: Any, field: str) -> bool:
    if isinstance(operand, Mapping):
        return field in operand
    no_overload(f"has(.{field})", operand)


# --- arithmetic -----------------------------------------------------------------------------------------


def _integer_result(value: int, operator: str, a: Any, b: Any) -> int:
    if INT_MIN <= value <= INT_MAX:
        return value
    fail(f"integer overflow in {a} {operator} {b}")


def _unsigned_result(value: int, operator: str, a: Any, b: Any) -> UInt:
    if 0 <= value <= UINT_MAX:
        return UInt(value)
    fail(f"unsigned integer overflow in {a} {operator} {b}")


def _operands(operator: str, a: Any, b: Any) -> tuple[str, Any, Any]:
    """The common numeric type of two operands; CEL does not mix int, uint and double."""
    kind_a, x = number(a)
    kind_b, y = number(b)
    if kind_a != kind_b or kind_a not in ("int", "uint", "double"):
        no_overload(operator, a, b)
    return kind_a, x, y


def add(a: Any, b: Any) -> Any:
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple, Mapping)):
        return [*a, *b]  # binding: a map's keys are appended (spec: no list + map)
    if isinstance(a, (bytes, bytearray)) and isinstance(b, (bytes, bytearray)):
        return bytes(a) + bytes(b)
    kind, x, y = _operands("+", a, b)
    if kind == "double":
        return x + y
    return _integer_result(x + y, "+", a, b) if kind == "int" else _unsigned_result(x + y, "+", a, b)


def subtract(a: Any, b: Any) -> Any:
    kind, x, y = _operands("-", a, b)
    if kind == "double":
        return x - y
    return _integer_result(x - y, "-", a, b) if kind == "int" else _unsigned_result(x - y, "-", a, b)


def multiply(a: Any, b: Any) -> Any:
    kind, x, y = _operands("*", a, b)
    if kind == "double":
        return x * y
    return _integer_result(x * y, "*", a, b) if kind == "int" else _unsigned_result(x * y, "*", a, b)


def divide(a: Any, b: Any) -> Any:
    kind, x, y = _operands("/", a, b)
    if kind == "double":
        if y == 0.0:  # IEEE 754, as Rust: a signed infinity, or NaN for 0/0
            return math.nan if x == 0.0 or math.isnan(x) else math.copysign(math.inf, x) * math.copysign(1.0, y)
        return x / y
    if y == 0:
        fail("division by zero")
    quotient = abs(x) // abs(y)  # truncated toward zero, as Rust
    quotient = -quotient if (x < 0) != (y < 0) else quotient
    return _integer_result(quotient, "/", a, b) if kind == "int" else UInt(quotient)


def remainder(a: Any, b: Any) -> Any:
    kind, x, y = _operands("%", a, b)
    if kind == "double":
        no_overload("%", a, b)
    if y == 0:
        fail("modulo by zero")
    if kind == "int" and x == INT_MIN and y == -1:
        fail(f"integer overflow in {a} % {b}")
    rest = abs(x) % abs(y)  # the sign of the dividend, as Rust
    return (-rest if x < 0 else rest) if kind == "int" else UInt(rest)


def negate(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return -value
    if kind is bool:
        return not value  # binding: `-true` is false (spec: no such overload)
    if kind is int:
        integer_kind, number_value = number(value)
        if integer_kind == "int":
            return value if value == INT_MIN else -value  # binding: -(-2**63) wraps (spec: overflow)
        if integer_kind == "double":
            return -number_value
    no_overload("-", value)


# --- functions of the standard library ------------------------------------------------------------------


def size(value: Any) -> int:
    kind = type(value)
    if kind is str:
        return len(value) if value.isascii() else len(value.encode("utf-8"))  # binding: UTF-8 bytes, not code points
    if kind is list or kind is dict or isinstance(value, (list, tuple, Mapping, bytes, bytearray)):
        return len(value)
    fail(f"no matching overload for size on {type_name(value)}")


def to_int(value: Any) -> int:
    kind = type(value)
    if kind is str:
        if not _INTEGER_TEXT.fullmatch(value):
            fail(f"int(): cannot parse {value!r}")
        return _checked(int(value), INT_MIN, INT_MAX, "int")
    if kind is int or kind is UInt or kind is float:
        kind_name, number_value = number(value)
        if kind_name == "double":
            # binding: the bounds themselves are refused, -2**63 included
            if not -9.223372036854775808e18 < number_value < 9.223372036854775808e18:
                fail(f"int(): {value!r} is out of the int range")
            return int(number_value)
        return _checked(int(number_value), INT_MIN, INT_MAX, "int")  # a uint becomes an int
    fail(f"no matching overload for int on {type_name(value)}")


def to_uint(value: Any) -> UInt:
    kind = type(value)
    if kind is str:
        if not _UNSIGNED_TEXT.fullmatch(value):
            fail(f"uint(): cannot parse {value!r}")
        return UInt(_checked(int(value), 0, UINT_MAX, "uint"))
    if kind is int or kind is UInt or kind is float:
        kind_name, number_value = number(value)
        if kind_name == "double":
            if not 0.0 <= number_value < 1.8446744073709551616e19:  # -0.0 passes, -0.5 does not
                fail(f"uint(): {value!r} is out of the uint range")
            return UInt(int(number_value))
        return UInt(_checked(number_value, 0, UINT_MAX, "uint"))
    fail(f"no matching overload for uint on {type_name(value)}")


def _checked(value: int, low: int, high: int, function: str) -> int:
    if not low <= value <= high:
        fail(f"{function}(): {value} is out of the {function} range")
    return value


def to_double(value: Any) -> float:
    kind = type(value)
    if kind is float:
        return float(value)
    if kind is str:
        if not _DOUBLE_TEXT.fullmatch(value):
            fail(f"double(): cannot parse {value!r}")
        return float(value)
    if kind is int or kind is UInt:
        return _int_to_double(value)
    fail(f"no matching overload for double on {type_name(value)}")


def to_string(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is float:
        return format_double(value)
    if kind is int or kind is UInt:
        kind_name, number_value = number(value)
        return format_double(number_value) if kind_name == "double" else str(number_value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")  # binding: invalid UTF-8 is replaced (spec: error)
    fail(f"no matching overload for string on {type_name(value)}")  # binding: string(true) is an error


def format_double(value: float) -> str:
    """A double as Rust's Display writes it: shortest round-trip digits, never an exponent (1e21 is
    1000000000000000000000), no '.0' on whole numbers, and NaN, inf, -inf."""
    if math.isnan(value):
        return "NaN"
    if value in (math.inf, -math.inf):
        return "inf" if value > 0 else "-inf"
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def to_bytes(value: Any) -> bytes:
    if type(value) is str:
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    fail(f"no matching overload for bytes on {type_name(value)}")


# --- the boundary with Python ---------------------------------------------------------------------------

_PLAIN = frozenset({str, float, bool, type(None)})


def export(value: Any) -> Any:
    """The value the binding gives back to Python: lists for tuples, a UInt as int, a Python int past
    uint64 as the double it was read as, bytes for bytearray; the same object when nothing changes."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is int:
        return value if INT_MIN <= value <= UINT_MAX else _int_to_double(value)
    if kind is UInt:
        return int(value)
    if kind is list or kind is tuple:
        items = [export(item) for item in value]
        if kind is list and all(new is old for new, old in zip(items, value)):
            return value
        return items
    if isinstance(value, Mapping):
        pairs = [(export(key), export(item), key, item) for key, item in value.items()]
        if kind is dict and all(new_key is key and new is item for new_key, new, key, item in pairs):
            return value
        return {new_key: new for new_key, new, _, _ in pairs}
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    fail(f"a {type(value).__name__} is not a CEL value")


def argument(value: Any) -> Any:
    """A value handed to a registered Python function, converted at its top level as the binding does."""
    kind = type(value)
    if kind is int and not INT_MIN <= value <= UINT_MAX or kind is UInt or kind is tuple:
        return export(value)
    return value


def from_function(value: Any, function: str) -> Any:
    """A registered function's result: a tuple becomes a list; a value CEL cannot hold is an error."""
    kind = type(value)
    if kind in _PLAIN or kind is list or kind is dict or kind is int:
        return value
    try:
        return export(value)
    except CelEvaluationError:
        fail(f"{function}() returned a {type(value).__name__}, which is not a CEL value")
