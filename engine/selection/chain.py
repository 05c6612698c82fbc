"""The versions of a scheme as one chain along `supersedes`, with coherent dates: checked before any is selected.

A dossier is judged only under a scheme whose chain holds (`Library.checked`), and `referee validate`
reports the same problems with each version's file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from engine.errors import Problem
from engine.model.referential import ReferentialVersion


def check_chain(versions: Sequence[ReferentialVersion]) -> list[Problem]:
    """Dates coherent along `supersedes`: one chain, each version starting after the one it replaces."""
    problems: list[Problem] = []
    by_id = {v.id: v for v in versions}
    successors: dict[str, list[str]] = {}
    for v in versions:
        file = str(v.path)
        if v.in_force_from < v.published_on:
            problems.append(Problem(f"in force from {v.in_force_from}, before its publication on {v.published_on}; use a retroactive time policy", ("in_force_from",), file))
        if v.repealed_on is not None and v.repealed_on <= v.in_force_from:
            problems.append(Problem(f"repealed on {v.repealed_on}, not after it came into force on {v.in_force_from}", ("repealed_on",), file))
        if v.in_force_until is not None and v.in_force_until <= v.in_force_from:
            problems.append(Problem(f"in force until {v.in_force_until}, not after {v.in_force_from}", ("in_force_until",), file))
        if v.supersedes is None:
            continue
        previous = by_id.get(v.supersedes)
        if previous is None:
            problems.append(Problem(f"supersedes {v.supersedes!r}, which is not a version of {v.scheme}", ("supersedes",), file))
            continue
        successors.setdefault(previous.id, []).append(v.id)
        if v.in_force_from <= previous.in_force_from:
            problems.append(Problem(f"in force from {v.in_force_from}, not after {previous.id} which it supersedes ({previous.in_force_from})", ("in_force_from",), file))
        if previous.in_force_until is not None and previous.in_force_until != v.in_force_from:
            problems.append(Problem(f"{previous.id} is in force until {previous.in_force_until} but its successor {v.id} starts on {v.in_force_from}", ("in_force_until",), str(previous.path)))
        if previous.repealed_on is not None:
            problems.append(Problem(f"supersedes {previous.id}, which was repealed without replacement", ("supersedes",), file))
    frameworks = {v.id: v.framework for v in versions}
    if len({json.dumps(f, sort_keys=True) for f in frameworks.values()}) > 1:
        for v in versions:
            problems.append(Problem(
                "the versions of a scheme declare the same framework, or none: "
                + "; ".join(f"{i}: {_framework_text(f)}" for i, f in frameworks.items()),
                ("framework",), str(v.path)))
    roots = [v for v in versions if v.supersedes is None]
    if len(roots) > 1:  # on each, so that validate reports it with each file
        problems += [Problem(f"several first versions (supersedes: null): {', '.join(r.id for r in roots)}", ("supersedes",), str(r.path)) for r in roots]
    if versions and not roots:
        problems += [Problem("no first version: every version supersedes another (the first says supersedes: null)", ("supersedes",), str(v.path)) for v in versions]
    for parent, children in successors.items():
        if len(children) > 1:
            problems.append(Problem(f"{parent} is superseded by several versions: {', '.join(children)}", ("supersedes",), str(by_id[parent].path)))
    return problems + _cycles(by_id)


def _cycles(by_id: Mapping[str, ReferentialVersion]) -> list[Problem]:
    """Each cycle of `supersedes`, reported on every version in it."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for start in sorted(by_id):
        walked: list[str] = []
        current: str | None = start
        while current is not None and current in by_id and current not in seen and current not in walked:
            walked.append(current)
            current = by_id[current].supersedes
        if current is not None and current in walked:
            cycle = walked[walked.index(current):]
            sentence = f"supersedes goes round in a cycle: {' → '.join([*cycle, current])}"
            problems += [Problem(sentence, ("supersedes",), str(by_id[v].path)) for v in cycle]
        seen.update(walked)
    return problems


def _framework_text(framework: Any) -> str:
    return "none" if framework is None else f"{framework['role']} of {framework['scheme']}"
