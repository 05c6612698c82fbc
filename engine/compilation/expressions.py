"""The expression language of rules: CEL, plus a few registered functions.

Conditions and computed values are written in CEL (the Common Expression
Language, https://cel.dev). CEL is a published, side-effect-free,
terminating language; nothing in a file is ever handed to Python's `eval`.
Each expression is compiled twice, once: by the Rust CEL runtime (the
reference, which the plain forward chainer evaluates with), and translated
into Python closures (`engine.compilation.cel`) that the durable-rules and
compiled runtimes evaluate with, on the values themselves, about twenty times
faster. A differential test holds the two to the same results. What a rule
may read:

    facts.<name>      dossier inputs and facts concluded by other rules
    params.<name>     the referential's parameters (their values)
    tables.<name>     the referential's tables (maps from key to row)
    bands.<name>      the referential's band sets (lists of bands)
    criteria          the referential's criteria, a list in the grid's order
    versions.<section> the id of the version that governs a section
    item / value      the element of `for_each`, the concluded value (templates)

The functions CEL lacks for this domain are registered in one table
(`engine.compilation.functions.FUNCTIONS`), documented in docs/expressions.md.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from engine.compilation.cel import CelEvaluationError, CelSyntaxError, Node, parse, translate
from engine.compilation.cel.nodes import Call, depth, walk
from engine.compilation.functions import FUNCTIONS, ExpressionError, forget_failures, last_failure, ordered
from engine.compilation.rust_cel import cel
from engine.model.limits import DEFAULT_LIMITS, Limits

NAMESPACES = ("facts", "params", "tables", "bands", "criteria", "versions")
LOCALS = ("item", "value")
ALL = "*"  # the name under which a whole namespace (criteria) is referenced

_STRING_LITERAL = re.compile(r"""(?:[rR]?)("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')""")
_REFERENCE = re.compile(r"\b(facts|params|tables|bands|versions)\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")
_UNNAMED = re.compile(r"\b(facts|params|tables|bands|versions)\b(?!\s*\.\s*[A-Za-z_])")  # facts[...], size(params), 'x' in tables
# CEL's standard functions and macros (cel-spec, "List of Standard Definitions")
CEL_FUNCTIONS = frozenset(
    "size has matches startsWith endsWith contains int uint double string bool bytes type dyn "
    "timestamp duration all exists exists_one map filter getDate getDayOfMonth getDayOfWeek "
    "getDayOfYear getFullYear getHours getMilliseconds getMinutes getMonth getSeconds".split()
)
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")

# The CEL binding logs every failing Python function to the "cel" logger; the
# failure is reported to the user once, as an ExpressionError, not logged.
logging.getLogger("cel").addHandler(logging.NullHandler())
logging.getLogger("cel").propagate = False


def _strip_strings(source: str) -> str:
    return _STRING_LITERAL.sub('""', source)


@dataclass(frozen=True)
class Expression:
    """A CEL expression compiled by the Rust runtime and translated to Python, and the names it reads."""

    source: str
    program: Any = field(compare=False, repr=False)  # the Rust CEL program
    function: Callable[[Mapping[str, Any]], Any] = field(compare=False, repr=False)  # the translation
    references: frozenset[tuple[str, str]]
    tree: Node = field(compare=False, repr=False)  # what the translation and validate's proofs read
    locals_read: frozenset[str] = field(default=frozenset(), compare=False)  # of LOCALS: bound for it alone

    @classmethod
    def compile(cls, source: str, limits: Limits = DEFAULT_LIMITS) -> Expression:
        if not isinstance(source, str) or not source.strip():
            raise ExpressionError("an expression must be a non-empty string")
        tree = _bounded(source, limits)  # before the Rust runtime sees it: too deep a tree exhausts its stack
        try:
            program = cel.compile(source)
        except Exception as exc:  # the binding raises ValueError with CEL's own message
            raise ExpressionError(str(exc)) from None
        unnamed = _UNNAMED.search(_strip_strings(source))
        if unnamed:
            ns = unnamed.group(1)
            raise ExpressionError(f"write {ns}.NAME, not {ns}[...] or {ns} alone: the engine must see what a rule reads")
        functions = sorted(
            f for f in program.functions()  # operators are listed too, under non-identifier names
            if re.match(r"^[A-Za-z]\w*$", f) and f not in CEL_FUNCTIONS and f not in FUNCTIONS
        )
        if functions:
            raise ExpressionError(f"unknown function(s) {', '.join(functions)}; see docs/expressions.md")
        _check_arity(tree)
        unknown = sorted(set(program.variables()) - set(NAMESPACES) - set(LOCALS) - _bound_names(source))
        if unknown:
            raise ExpressionError(
                f"unknown name(s) {', '.join(unknown)}: an expression reads "
                f"{', '.join(NAMESPACES)} (and item/value where the rule provides them)"
            )
        try:
            function = translate(tree, FUNCTIONS)
        except CelSyntaxError as exc:
            raise ExpressionError(f"{source}: {exc}") from None
        refs = set(_REFERENCE.findall(_strip_strings(source)))
        if "criteria" in program.variables():
            refs.add(("criteria", ALL))
        return cls(source=source, program=program, function=function, references=frozenset(refs), tree=tree,
                   locals_read=frozenset(program.variables()) & frozenset(LOCALS))

    def names(self, namespace: str) -> set[str]:
        return {name for ns, name in self.references if ns == namespace}

    def evaluate(self, scope: Scope) -> Any:
        return scope.evaluate(self)


def _bounded(source: str, limits: Limits) -> Node:
    """The expression's tree, if it is within the limits the evaluators are tested to handle (docs/limits.md)."""
    if len(source) > limits.expression_chars:
        raise ExpressionError(f"an expression of {len(source):,} characters, more than the limit expression_chars of {limits.expression_chars:,}: split it into facts")
    try:
        tree = parse(source)
    except RecursionError:
        tree = None
    except CelSyntaxError as exc:
        raise ExpressionError(f"Syntax error: {exc}") from None
    if tree is None or depth(tree) > limits.expression_depth:
        raise ExpressionError(f"an expression nested deeper than the limit expression_depth of {limits.expression_depth}: split it into facts")
    return tree


# CEL's own functions: the numbers of arguments they take, called as `f(x)` and as `x.f()`
_CEL_ARITY: dict[str, tuple[frozenset[int], frozenset[int]]] = {
    **{name: (frozenset({1}), frozenset()) for name in ("int", "uint", "double", "string", "bool", "bytes", "type", "dyn", "timestamp", "duration")},
    "size": (frozenset({1}), frozenset({0})),
    "matches": (frozenset({2}), frozenset({1})),
    **{name: (frozenset(), frozenset({1})) for name in ("startsWith", "endsWith", "contains")},
    **{name: (frozenset(), frozenset({0, 1})) for name in (
        "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getFullYear", "getHours",
        "getMilliseconds", "getMinutes", "getMonth", "getSeconds")},
}


def _check_arity(tree: Node) -> None:
    """Every call gives its function a number of arguments it takes: CEL would say so only when evaluating."""
    for node in walk(tree):
        if not isinstance(node, Call):
            continue
        count, receiver = len(node.args), node.target is not None
        if node.function in FUNCTIONS and not receiver:
            if not _accepts(FUNCTIONS[node.function], count):
                raise ExpressionError(f"{node.function}() does not take {count} argument(s); see docs/expressions.md")
        elif node.function in _CEL_ARITY:
            plain, method = _CEL_ARITY[node.function]
            if count not in (method if receiver else plain):
                form = f"x.{node.function}()" if receiver else f"{node.function}()"
                raise ExpressionError(f"{form} does not take {count} argument(s)")
        elif node.function in FUNCTIONS:
            raise ExpressionError(f"call {node.function}(...) as a function: x.{node.function}() is not defined")


def _accepts(function: Callable[..., Any], count: int) -> bool:
    try:
        inspect.signature(inspect.unwrap(function)).bind(*range(count))
    except TypeError:
        return False
    return True


def _failure(source: str, exc: Exception) -> ExpressionError:
    """The error of an evaluation: a registered function's own message when it failed, else CEL's."""
    if isinstance(exc, KeyError):
        return ExpressionError(f"{source}: no such key {exc.args[0]!r}")
    return ExpressionError(f"{source}: {exc}")


def _bound_names(source: str) -> set[str]:
    """Variables bound by CEL macros (`x` in `list.all(x, ...)`), which `variables()` also lists."""
    stripped = _strip_strings(source)
    return set(re.findall(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,", stripped))


@dataclass(frozen=True)
class Template:
    """A justification sentence with `{expression}` placeholders."""

    source: str
    parts: tuple[str | Expression, ...]

    @classmethod
    def compile(cls, source: str, limits: Limits = DEFAULT_LIMITS) -> Template:
        parts: list[str | Expression] = []
        position = 0
        for match in _PLACEHOLDER.finditer(source):
            parts.append(source[position : match.start()])
            parts.append(Expression.compile(match.group(1), limits))
            position = match.end()
        parts.append(source[position:])
        return cls(source=source, parts=tuple(p for p in parts if p != ""))

    @cached_property
    def references(self) -> frozenset[tuple[str, str]]:
        refs: set[tuple[str, str]] = set()
        for part in self.parts:
            if isinstance(part, Expression):
                refs |= part.references
        return frozenset(refs)

    def render(self, scope: Scope) -> str:
        return scope.render(self)


def format_value(value: Any) -> str:
    """How a value reads inside a sentence."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return str(value)
    if kind is bool:
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):  # the rule fails on it after the sentence is written (no decision holds it)
            return repr(value)
        if value == int(value):
            return str(int(value))
        # a number with at most six decimals (a factor per euro, 0.041667) reads as it is; a longer one to three
        decimals = 6 if round(value, 6) == value else 3
        return f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, Mapping) for v in value):  # records: one per parenthesis
            return "; ".join(f"({format_value(v)})" for v in value)
        return ", ".join(format_value(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    if value is None:
        return "not given"
    return str(value)


class Scope:
    """What the expressions of one evaluation read, evaluated by the Rust CEL runtime (the reference).

    Each evaluation gets a context of what its expression names, and only that: cel.Context converts
    its variables again whenever one changes, so a shared context would convert the whole referential
    and every fact after each conclusion.
    """

    def __init__(self, referential: Mapping[str, Any], facts: Mapping[str, Any]):
        self._referential = referential
        self.facts = dict(facts)  # grows as rules conclude (the inference writes to it)
        self._bound: dict[str, Any] = dict.fromkeys(LOCALS)

    def context_for(self, expression: Expression) -> Any:
        # `value` may be the list a rule concludes: bound where it is read only, or each item's message of a
        # thousand would convert it again
        variables: dict[str, Any] = {name: self._bound[name] for name in expression.locals_read}
        for namespace in NAMESPACES:
            variables[namespace] = {}
        for namespace, name in expression.references:
            source = self.facts if namespace == "facts" else self._referential.get(namespace, {})
            if namespace == "criteria":
                variables["criteria"] = self._referential.get("criteria", [])
            elif name in source:
                variables[namespace][name] = source[name]
        return cel.Context(variables=variables, functions=FUNCTIONS)

    def evaluate(self, expression: Expression) -> Any:
        forget_failures()
        try:
            result = expression.program.execute(self.context_for(expression))
        except Exception as exc:  # the binding wraps a registered function's failure in its own error
            raise _failure(expression.source, last_failure() or exc) from None
        return ordered(result)

    def render(self, template: Template) -> str:
        return "".join(p if isinstance(p, str) else format_value(self.evaluate(p)) for p in template.parts)

    def bind(self, name: str, value: Any) -> None:
        self._bound[name] = value

    def unbind(self, *names: str) -> None:
        for name in names:
            self._bound[name] = None


_FAILURES = (CelEvaluationError, ArithmeticError, LookupError, TypeError, ValueError)


class Activation(Scope):
    """The same, evaluated by the expressions translated to Python: one activation, read in place.

    The namespaces are the compiled procedure's own (never copied) and the facts' dictionary, which
    grows as rules conclude; nothing is converted per evaluation.
    """

    def __init__(self, referential: Mapping[str, Any], facts: Mapping[str, Any]):
        self.facts = dict(facts)
        self._variables: dict[str, Any] = {namespace: referential.get(namespace, {}) for namespace in NAMESPACES}
        self._variables["criteria"] = referential.get("criteria", [])
        self._variables["facts"] = self.facts
        self._variables.update(dict.fromkeys(LOCALS))

    def evaluate(self, expression: Expression) -> Any:
        try:
            result = expression.function(self._variables)
        except _FAILURES as exc:  # CEL's, or a registered function's own, unwrapped
            raise _failure(expression.source, exc) from None
        return ordered(result)

    def render(self, template: Template) -> str:
        variables = self._variables
        pieces = []
        for part in template.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            try:
                value = part.function(variables)
            except _FAILURES as exc:
                raise _failure(part.source, exc) from None
            pieces.append(format_value(ordered(value)))
        return "".join(pieces)

    def bind(self, name: str, value: Any) -> None:
        self._variables[name] = value

    def unbind(self, *names: str) -> None:
        for name in names:
            self._variables[name] = None
