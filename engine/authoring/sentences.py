"""Checks of the sentences a referential's rules write: what `referee validate` reads in them.

Two kinds of check:

- On the text of the rules (`literal_problems`): a sentence, a finding's
  message or code, or an outcome's meaning must not restate a number that a
  parameter or a table holds ("35 %", `SUBCONTRACTING_NOT_BELOW_35`, "up to
  2,700 €"): once the value changes in a new version (`import-table`, a
  revision), the sentence would contradict the decision's own values. It
  names the parameter instead, through a placeholder.
- On the sentences rendered for the bundled examples (`rendered_problems`):
  a placeholder that gave nothing ("The auditor set not given"), a count
  that disagrees with its noun ("1 years", "3 month"), and a sentence of a
  conclusion that names another value its fact could take than the one
  concluded ("in band compliant" for a tool that is not).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.compilation.expressions import Activation, Expression, Template, format_value
from engine.compilation.functions import ordered
from engine.compilation.rules import OUTCOME, Rule, RuleBook
from engine.decision.model import Decision, RuleStep
from engine.errors import Problem, RefereeError
from engine.model.dossier import load_dossier
from engine.model.referential import Procedure, ReferentialVersion
from engine.running.runtimes import Fire
from engine.running.runtimes.compiled import CompiledRuntime

if TYPE_CHECKING:
    from engine.library import Library

# A number as a sentence writes it: 35, 0.35, 2,700, 1 000, 2.5; not a part of a word or an identifier.
_NUMBER = re.compile(r"(?<![\w.,§])(\d{1,3}(?:[,  ]\d{3})+|\d+(?:[.,]\d+)?)(?![\w])")
_CODE_NUMBER = re.compile(r"(?:^|_)(\d+)(?=_|$)")
# What a clause citation or a date looks like: its numbers are no parameter's.
_CITATION = re.compile(r"(?:art\.|article|annex|annexe|§|step|chapter|chapitre|P|n°|no\.)\s*$", re.IGNORECASE)
_PLURALS = {
    "years": "year", "months": "month", "days": "day", "weeks": "week", "hours": "hour", "employees": "employee",
    "invoices": "invoice", "credits": "credit", "tonnes": "tonne", "points": "point", "lines": "line", "companies": "company",
}
_SINGULARS = {singular: plural for plural, singular in _PLURALS.items()}


@dataclass(frozen=True)
class Source:
    """A text written in the referential or a rule file, and where."""

    text: str
    what: str
    file: str
    path: tuple[str | int, ...]


def literal_problems(library: Library, version: ReferentialVersion, procedure: Procedure, rules: Iterable[Rule]) -> list[Problem]:
    """Numbers written in sentences, messages, codes and outcome meanings that a parameter or a table of the procedure holds."""
    held = _held_values(version, procedure)
    problems = []
    for source in _texts(version, procedure, rules):
        for number in _numbers(source.text, code=source.what.startswith("the code")):
            for value, name in held:
                if _same(number, value):
                    problems.append(Problem(
                        f"{source.what} writes {_shown(number)}, which {name} holds: name it through a placeholder, "
                        f"so that the sentence follows the value when a version changes it", source.path, source.file))
                    break
    return problems


def _held_values(version: ReferentialVersion, procedure: Procedure) -> list[tuple[float, str]]:
    held: list[tuple[float, str]] = []
    for name in procedure.sections:
        section = version.sections.get(name)
        if section is None:
            continue
        for parameter in section.parameters.values():
            held += [(number, f"params.{parameter.name}") for number in _numbers_in(parameter.value)]
        for table in section.tables.values():
            held += [(number, f"tables.{table.name}") for number in _numbers_in(table.rows)]
    return held


def _numbers_in(value: Any) -> Iterator[float]:
    """The numbers a parameter's or a table's value holds, at any depth (a share also as a percentage)."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield float(value)
        if 0 < value < 1:
            yield round(float(value) * 100, 9)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _numbers_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers_in(item)


def _texts(version: ReferentialVersion, procedure: Procedure, rules: Iterable[Rule]) -> Iterator[Source]:
    file = str(version.path)
    for outcome, meaning in procedure.outcomes.items():
        yield Source(meaning, f"the meaning of outcome {outcome!r} of procedure {procedure.name}", file,
                     ("sections", procedure.section, "procedures", procedure.name, "outcomes", outcome))
    for rule in rules:
        yield Source(_literal(rule.because), f"the sentence of rule {rule.id}", rule.file, (*rule.path, "because"))
        if rule.conclusion.kind == "finding":
            assert rule.conclusion.message is not None
            yield Source(_literal(rule.conclusion.message), f"the message of rule {rule.id}", rule.file, (*rule.path, "then", "finding", "message"))
            yield Source(rule.conclusion.name, f"the code of the finding of rule {rule.id}", rule.file, (*rule.path, "then", "finding", "code"))


def _literal(template: Template) -> str:
    """The words of a sentence, its placeholders blanked: what it writes itself."""
    return " … ".join(part for part in template.parts if isinstance(part, str))


def _numbers(text: str, code: bool = False) -> Iterator[float]:
    if code:
        for match in _CODE_NUMBER.finditer(text):
            yield float(match.group(1))
        return
    for match in _NUMBER.finditer(text):
        if _CITATION.search(text[: match.start()]):
            continue
        written = match.group(1)
        if re.fullmatch(r"\d{1,3}(?:[,  ]\d{3})+", written):
            yield float(re.sub(r"[,  ]", "", written))
        else:
            yield float(written.replace(",", "."))


def _same(number: float, value: float) -> bool:
    return abs(number - value) < 1e-9 * max(1.0, abs(value))


def _shown(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


# --- the sentences of the examples -------------------------------------------------------------------------


class _Auditor(Activation):
    """The translated evaluator, noting what each rendered sentence got wrong."""

    def __init__(self, referential: Mapping[str, Any], facts: Mapping[str, Any], notes: list[tuple[int, str]]):
        super().__init__(referential, facts)
        self.notes = notes  # (id of the template, what is wrong)

    def render(self, template: Template) -> str:
        pieces: list[str] = []
        previous: Any = None
        for part in template.parts:
            if isinstance(part, Expression):
                value = ordered(self.evaluate(part))
                if value is None:
                    self.notes.append((id(template), f"the placeholder {{{part.source}}} gave nothing (written \"not given\")"))
                pieces.append(format_value(value))
                previous = value
                continue
            count = _count(previous)
            word = re.match(r"\s+([A-Za-zéè]+)", part)
            if count is not None and word:
                noun = word.group(1).lower()
                if count == 1 and noun in _PLURALS:
                    self.notes.append((id(template), f"writes 1 {noun}: the noun is plural for a count of one"))
                elif count != 1 and noun in _SINGULARS:
                    self.notes.append((id(template), f"writes {format_value(previous)} {noun}: the noun is singular for a count other than one"))
            pieces.append(part)
            previous = None
        return "".join(pieces)


def _count(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


class _AuditingRuntime:
    """The compiled runtime, with the auditing evaluator; it keeps the book it last ran."""

    name = "compiled (auditing sentences)"

    def __init__(self) -> None:
        self.notes: list[tuple[int, str]] = []
        self.book: RuleBook | None = None
        self._compiled = CompiledRuntime()

    @property
    def evaluator(self) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Activation]:
        return lambda referential, facts: _Auditor(referential, facts, self.notes)

    def run(self, book: RuleBook, known: Iterable[str], fire: Fire) -> None:
        self.book = book
        self._compiled.run(book, known, fire)


def rendered_problems(library: Library, examples: Path, schemes: set[str]) -> list[Problem]:
    """What the sentences of the bundled examples of `schemes` get wrong, once per rule and kind of fault."""
    runtime = _AuditingRuntime()
    problems: dict[tuple[str, str], Problem] = {}
    for path in sorted(examples.glob("*/*.yaml")):
        try:
            dossier = load_dossier(path)
            if dossier.scheme not in schemes:
                continue
            del runtime.notes[:]
            runtime.book = None
            decision = library.evaluate(dossier, runtime=runtime)
        except RefereeError:
            continue  # an example that is refused is the examples' tests' business
        book = runtime.book
        if book is None:  # refused by the rules of time: no rule ran
            continue
        templates = {id(t): rule for rule in book.rules for t in (rule.because, rule.conclusion.message) if t is not None}
        for template_id, note in runtime.notes:
            rule = templates.get(template_id)
            if rule is not None:
                problems.setdefault((rule.id, note.split(":")[0]), Problem(f"in {path.name}, the sentence of rule {rule.id} {note}", rule.path, rule.file))
        procedure = _procedure(library, decision.scheme, decision.procedure, decision.versions[0].version)
        for step in decision.trail:
            if not isinstance(step, RuleStep) or step.kind != "fact" or not isinstance(step.value, str) or step.rule not in book.index:
                continue
            rule = book.rules[book.index[step.rule]]
            others, pattern = _rivals(procedure, library, decision, rule, step.value)
            sentence = _words(step.because)
            named = [o for o in others if re.search(pattern.format(re.escape(_words(o))), sentence)]
            if named and not re.search(pattern.format(re.escape(_words(step.value))), sentence):
                problems.setdefault((rule.id, "contradicts"), Problem(
                    f"in {path.name}, the sentence of rule {rule.id} names {', '.join(named)} for {step.name} = {step.value}: "
                    f"\"{step.because}\"", (*rule.path, "because"), rule.file))
    return list(problems.values())


def _words(text: str) -> str:
    """An id as a sentence writes it: `not_admissible` is "not admissible"."""
    return text.replace("_", " ").lower()


def _procedure(library: Library, scheme: str, name: str, version_id: str) -> Procedure | None:
    return library.version(scheme, version_id).procedure(name)


def _rivals(procedure: Procedure | None, library: Library, decision: Decision, rule: Rule, value: str) -> tuple[list[str], str]:
    """The other values the fact a rule concludes could take, and how a sentence would name one as its own.

    A band fact's sentence names a band anywhere; an outcome's is read only where it names a band
    ("in band compliant"), since an outcome's words are common ones ("cannot be granted").
    """
    if rule.concludes == OUTCOME:
        return [o for o in (procedure.outcomes if procedure else ()) if o != value], r"\bband {}\b"
    for used in decision.versions:
        section = library.version(used.referential, used.version).sections.get(used.section or "")
        for band_set in section.bands.values() if section else ():
            ids = [b.id for b in band_set.bands]
            if value in ids:
                return [i for i in ids if i != value], r"\b{}\b"
    return [], ""
