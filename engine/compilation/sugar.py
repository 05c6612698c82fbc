"""Rule-language sugar, rewritten into core rules when a rule file is compiled.

As publicodes' mechanisms do, each form is a shorthand for core rules (docs/rules.md): the runtimes,
validate's proofs and the trail see only the core rules it yields, never the sugar.

- `defaults:` at the top of a file: `clause`, `illustrative` and `note` for each rule that does not set them.
- `let:` on a rule: each `NAME: EXPR` is a fact of its own, concluded by a core rule `RULE.NAME` with the
  rule's clause and condition, and read as `facts.NAME`; it is computed once, before the rule's `then`.
- `cases:` on a rule: first match wins. Each case is a core rule `RULE.ID` (`ID` the case's `id`, or
  `case-N` from 1) whose condition is the rule's `when`, the negation of every earlier case's and its own,
  so that no two of them can hold at once; the last case may omit `when` (otherwise).

The diff compares rules as written, with the file's defaults applied (`written_rules`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.compilation.expressions import Expression, ExpressionError
from engine.errors import PathLike

DEFAULTED = ("clause", "illustrative", "note")  # what a file's `defaults:` may set
_INHERITED = ("clause", "readings", "illustrative", "note")  # what a case or a let takes from its rule
_RESERVED = {"value", "item", "outcome"}


@dataclass(frozen=True)
class CoreRule:
    """A rule in the core form, and where it is written: its rule's index in the file, and the place within it."""

    body: Mapping[str, Any]
    index: int
    place: PathLike = ()  # () for the rule itself, ("cases", 2) for a case, ("let", "NAME") for a let


class SugarError(Exception):
    """A sugar form that cannot be rewritten: the path (from the rule file's root) and why."""

    def __init__(self, path: PathLike, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def written_rules(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The file's rules as written, each with the file's defaults for the keys it does not set."""
    defaults = document.get("defaults") or {}
    return [{**{k: v for k, v in defaults.items() if k not in body}, **body} for body in document["rules"]]


def core_rules(document: Mapping[str, Any], inputs: Mapping[str, Any] | None = None) -> list[CoreRule]:
    """The core rules a rule file stands for, in the file's order (a rule's `let` rules before it).

    `inputs`, when known, are the fact names a `let` may not take (those of the procedure's input schema).
    """
    written = written_rules(document)
    concluded = {body["then"].get("fact") for body in written if "then" in body} - {None}
    taken = concluded | set(inputs or ())
    out: list[CoreRule] = []
    for index, body in enumerate(written):
        if "clause" not in body:
            raise SugarError(("rules", index, "clause"), f"rule {body['id']} cites no clause: set `clause`, or `defaults.clause` for the file")
        out += _lets(body, index, taken)
        core = {k: v for k, v in body.items() if k not in ("let", "cases")}
        out += _cases(core, body["cases"], index) if "cases" in body else [CoreRule(core, index)]
    return out


def _lets(body: Mapping[str, Any], index: int, taken: set[str]) -> list[CoreRule]:
    out = []
    for name, spec in (body.get("let") or {}).items():
        place = ("let", name)
        if name in taken or name in _RESERVED:
            what = "is reserved in expressions" if name in _RESERVED else "is already a fact (an input, or concluded by a rule of the file)"
            raise SugarError(("rules", index, *place), f"let {name!r} of rule {body['id']} {what}: give the intermediate a name of its own")
        taken.add(name)
        spec = spec if isinstance(spec, Mapping) else {"value": spec}
        try:
            reads_item = "item" in Expression.compile(spec["value"]).locals_read
        except ExpressionError as exc:
            raise SugarError(("rules", index, *place, "value"), str(exc)) from None
        if reads_item:
            raise SugarError(
                ("rules", index, *place),
                f"let {name!r} of rule {body['id']} reads item: a let is computed once for the rule, not per element of for_each",
            )
        core = {k: body[k] for k in _INHERITED if k in body}
        core |= {
            "id": f"{body['id']}.{name}",
            "title": spec.get("title", f"{body['title']}: {name.replace('_', ' ')}"),
            **({"when": body["when"]} if "when" in body else {}),
            "then": {"fact": name, "value": spec["value"]},
            "because": spec.get("because", f"{name.replace('_', ' ')} = {{value}}."),
        }
        out.append(CoreRule(core, index, place))
    return out


def _cases(rule: Mapping[str, Any], cases: list[Mapping[str, Any]], index: int) -> list[CoreRule]:
    if not cases:
        raise SugarError(("rules", index, "cases"), f"rule {rule['id']} has a cases block without any case")
    if "for_each" in rule:
        raise SugarError(("rules", index, "for_each"), f"rule {rule['id']}: cases conclude one fact once; for_each does not apply to them")
    concluded = {_concludes(case["then"]) for case in cases}
    if len(concluded) > 1:
        raise SugarError(("rules", index, "cases"), f"the cases of rule {rule['id']} conclude {', '.join(sorted(concluded))}: a cases block concludes one fact")
    out: list[CoreRule] = []
    earlier: list[str] = []
    ids: set[str] = set()
    for number, case in enumerate(cases, 1):
        place = ("cases", number - 1)
        if "when" not in case and number < len(cases):
            raise SugarError(("rules", index, *place), "only the last case may omit `when` (it applies when no earlier case does)")
        suffix = case.get("id", f"case-{number}")
        if suffix in ids:
            raise SugarError(("rules", index, *place, "id"), f"case id {suffix!r} is already used in rule {rule['id']}")
        ids.add(suffix)
        parts = [f"({rule['when']})"] if "when" in rule else []
        parts += [f"!({condition})" for condition in earlier] + ([f"({case['when']})"] if "when" in case else [])
        core = {k: v for k, v in rule.items() if k in _INHERITED} | {k: v for k, v in case.items() if k != "id" and k != "when"}
        core |= {"id": f"{rule['id']}.{suffix}", "title": case.get("title", rule["title"])}
        if parts:
            core["when"] = parts[0][1:-1] if len(parts) == 1 and not parts[0].startswith("!") else " && ".join(parts)
        out.append(CoreRule(core, index, place))
        if "when" in case:
            earlier.append(case["when"])
    return out


def _concludes(then: Mapping[str, Any]) -> str:
    return "outcome" if "outcome" in then else str(then["fact"])
