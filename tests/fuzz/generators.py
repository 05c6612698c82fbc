"""Seeded mutations of the bundled example dossiers (docs/fuzzing.md).

A case is a pure function of (corpus, seed, index): the child process that judges it and the parent that
writes a failing one to build/fuzz-failures/ build the same bytes, and `FUZZ_SEED` repeats a whole run.
Case `index` mutates example `index % len(examples)`, so every run longer than the corpus mutates every
example. Mutations change the parsed document, which is then written as YAML or JSON; what a dumper would
quote or cannot write (an unquoted impossible date, an alias bomb, a key written twice, `1e999`) is spliced
into the text in place of a placeholder.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.model.documents import load_document

Where = tuple[Any, ...]  # the keys and indexes leading to a value


@dataclass(frozen=True)
class Corpus:
    """The examples, and what swaps draw from: procedures, companions and version ids of every scheme."""

    examples: tuple[tuple[Path, dict[str, Any]], ...]
    procedures: tuple[tuple[str, str], ...]  # (scheme, procedure) pairs the examples use
    companions: tuple[tuple[str, Any], ...]  # (role, reference) pairs the examples use
    versions: dict[str, tuple[str, ...]]  # scheme -> version ids, companions' schemes included

    @classmethod
    def load(cls, root: Path) -> Corpus:
        examples = tuple((path, load_document(path)) for path in sorted((root / "examples").glob("*/*.yaml")))
        return cls(
            examples,
            tuple(sorted({(doc["scheme"], doc["procedure"]) for _, doc in examples})),
            tuple(pair for _, doc in examples for pair in (doc.get("companions") or {}).items()),
            {p.name: tuple(sorted(v.stem for v in p.glob("*.yaml"))) for p in sorted((root / "referentials").iterdir()) if p.is_dir()},
        )


@dataclass(frozen=True)
class Case:
    seed: int
    index: int
    example: Path
    suffix: str  # yaml or json
    content: bytes
    mutations: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"case-{self.seed}-{self.index}.{self.suffix}"


@dataclass
class Draft:
    """A case being built: the document, and the raw texts that replace placeholder strings once it is written."""

    document: Any
    raw: dict[str, tuple[str, str]] = field(default_factory=dict)  # placeholder -> (YAML text, JSON text)
    yaml_only: bool = False  # an alias means nothing in JSON

    def splice(self, yaml_text: str, json_text: str | None = None) -> str:
        token = f"fuzzraw{len(self.raw)}x"
        self.raw[token] = (yaml_text, yaml_text if json_text is None else json_text)
        return token

    def nodes(self) -> Iterator[tuple[Any, Any, Where]]:
        """(container, key, where) of every value but the root and the placeholders, depth first."""
        stack: list[tuple[Any, Where]] = [(self.document, ())] if isinstance(self.document, (dict, list)) else []
        seen: set[int] = set()
        while stack:
            container, where = stack.pop()
            if id(container) in seen:  # a value shared by an alias is visited once
                continue
            seen.add(id(container))
            items = container.items() if isinstance(container, dict) else enumerate(container)
            for key, value in list(items):
                if not (isinstance(value, str) and value in self.raw):
                    yield container, key, (*where, key)
                if isinstance(value, (dict, list)):
                    stack.append((value, (*where, key)))

    def pick(self, rng: random.Random, wanted: Callable[[Any, Any], bool] = lambda _k, _v: True) -> tuple[Any, Any, Where] | None:
        found = [(c, k, w) for c, k, w in self.nodes() if wanted(k, c[k])]
        return rng.choice(found) if found else None

    def render(self, rng: random.Random) -> tuple[str, str]:
        """(suffix, text): YAML, or JSON two times in ten unless an alias needs YAML."""
        if self.yaml_only or rng.random() < 0.7:
            text = yaml.dump(self.document, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=rng.random() < 0.5, width=rng.choice((80, 10**6)))
            for token, (yaml_text, _) in self.raw.items():
                text = text.replace(token, yaml_text)
            return "yaml", text
        text = json.dumps(_json_ready(self.document), ensure_ascii=rng.random() < 0.5, indent=rng.choice((None, 2)))
        for token, (_, json_text) in self.raw.items():
            text = text.replace(json.dumps(token), json_text)
        return "json", text


def _json_ready(value: Any) -> Any:
    """Dates as ISO texts, as a JSON dossier writes them; keys JSON cannot hold (a date) as texts."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k if isinstance(k, (str, int, float, bool)) or k is None else str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def _text(where: Where) -> str:
    return "$" + "".join(f"[{k}]" if isinstance(k, int) and not isinstance(k, bool) else f".{k!s}" for k in where)


def _is_number(_key: Any, value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- mutations: each changes the draft and says what it did, or returns None when the document has nothing to change

Mutation = Callable[[random.Random, Draft, Corpus], str | None]


def drop_key(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    document = draft.document
    if rng.random() < 0.4 and isinstance(document, dict) and document:  # the envelope's keys are few: drop one often
        key = rng.choice(list(document))
        target: tuple[Any, Any, Where] | None = (document, key, (key,))
    else:
        target = draft.pick(rng)
    if target is None:
        return None
    container, key, where = target
    del container[key]
    return f"dropped {_text(where)}"


WRONG_TYPES: tuple[Any, ...] = ("text", "", 0, -1, 3.5, True, False, None, [], {}, [1, "a", None], {"x": 1}, dt.date(2024, 1, 1), "2024-01-01", "0", "null")


def wrong_type(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    target = draft.pick(rng)
    if target is None:
        return None
    container, key, where = target
    container[key] = copy.deepcopy(rng.choice([v for v in WRONG_TYPES if type(v) is not type(container[key])]))
    return f"{_text(where)} = {container[key]!r}"


EDGE_NUMBERS: tuple[Any, ...] = (
    math.nan, math.inf, -math.inf, 1e308, -1e308, 10**30, -(10**30), 10**400, 2**63, -(2**63) - 1, 2**53 + 1,
    5e-324, -0.0, 0, -1, -0.01, 1e-300, 0.1 + 0.2, 1e15 + 0.3,
)
RAW_NUMBERS = (  # (YAML, JSON): literals a dumper never writes; some YAML 1.1 ones are numbers only to YAML
    (".NaN", "NaN"), ("-.Inf", "-Infinity"), ("1.0e+400", "1e999"), ("-1.0e+400", "-1e400"), ("0x7FFFFFFFFFFFFFFF", "9223372036854775807"),
    ("1_000_000", "1000000"), ("190:20:30", "685230"), ("0b1010", "10"), ("017", "017"), ("+12", "12"), ("1e3", "1e3"), ("~", "null"),
    ("yes", "true"), ("off", "false"), ("0.", "0.0"), ("-0", "-0"),
)


def number(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    target = draft.pick(rng, _is_number) or draft.pick(rng, lambda _k, v: not isinstance(v, (dict, list)))
    if target is None:
        return None
    container, key, where = target
    if rng.random() < 0.3:
        yaml_text, json_text = rng.choice(RAW_NUMBERS)
        container[key] = draft.splice(yaml_text, json_text)
        return f"{_text(where)} = {yaml_text} (YAML) / {json_text} (JSON)"
    value = rng.choice((*EDGE_NUMBERS, "negated"))
    if value == "negated":
        value = -container[key] if _is_number(key, container[key]) else -1
    container[key] = value
    return f"{_text(where)} = {value!r}"


def boolean(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    target = draft.pick(rng, _is_number)
    if target is None:
        return None
    container, key, where = target
    container[key] = rng.random() < 0.5
    return f"{_text(where)} = {container[key]}"


def _is_date(key: Any, value: Any) -> bool:
    return isinstance(value, dt.date) or (isinstance(key, str) and ("date" in key or key in ("anchor", "on", "since", "until")))


RAW_DATES = (  # (YAML, JSON): YAML reads an unquoted one as a timestamp, JSON only has texts
    ("2023-02-30", '"2023-02-30"'), ("0000-01-01", '"0000-01-01"'), ("99999-01-01", '"99999-01-01"'), ("2023-13-01", '"2023-13-01"'),
    ("2001-12-14t21:59:43.10-05:00", '"2001-12-14T21:59:43"'), ("2024-1-5", '"2024-1-5"'), ("2023-02-29", '"2023-02-29"'),
)
ODD_DATES: tuple[Any, ...] = (dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 2, 29), dt.date(1900, 1, 1), "2023-02-30", "31/12/2024", "", 20240101, " 2024-01-01 ")


def date(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    target = draft.pick(rng, _is_date)
    if target is None:
        return None
    container, key, where = target
    roll = rng.random()
    if roll < 0.4:
        yaml_text, json_text = rng.choice(RAW_DATES)
        container[key] = draft.splice(yaml_text, json_text)
        return f"{_text(where)} = {yaml_text}"
    if roll < 0.7 and isinstance(container[key], dt.date):
        days = rng.choice((-36500, -365, -31, -1, 1, 31, 365, 36500))
        try:
            container[key] = container[key] + dt.timedelta(days=days)
        except OverflowError:
            container[key] = dt.date.max
        return f"{_text(where)} moved {days} days"
    container[key] = rng.choice(ODD_DATES)
    return f"{_text(where)} = {container[key]!r}"


TEXTS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("a right-to-left override", lambda s: "\u202e" + s),
    ("direction marks", lambda s: s + "\u200f\u200e"),
    ("a NUL", lambda s: s[:1] + "\x00" + s[1:]),
    ("500 combining marks", lambda s: s + "\u0301" * 500),
    ("decomposed (NFD)", lambda s: unicodedata.normalize("NFD", s + "é")),
    ("a byte order mark", lambda s: "\ufeff" + s),
    ("a line separator", lambda s: s + "\u2028" + s),
    ("emoji", lambda s: s + "🌍🇫🇷"),
    ("200,000 characters", lambda s: (s or "x") * (200_000 // max(len(s), 1) + 1)),
    ("blanks only", lambda _s: " \t "),
    ("Cyrillic look-alikes", lambda s: s.replace("a", "а").replace("o", "о").replace("e", "е")),
    ("newlines", lambda s: f"\n{s}\n"),
    ("a zero-width space", lambda s: s + "\u200b"),
)


def text(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    if rng.random() < 0.1:  # a lone surrogate: only an escape can write one
        target = draft.pick(rng, lambda _k, v: isinstance(v, str))
        if target is None:
            return None
        target[0][target[1]] = draft.splice('"a\\uD800b"', '"a\\ud800b"')
        return f"{_text(target[2])} holds a lone surrogate"
    how, change = rng.choice(TEXTS)
    if rng.random() < 0.3:  # a key
        target = draft.pick(rng, lambda k, _v: isinstance(k, str) and k not in draft.raw)
        if target is None or not isinstance(target[0], dict):
            return None
        container, key, where = target
        renamed = {change(k) if k == key else k: v for k, v in container.items()}
        container.clear()
        container.update(renamed)
        return f"key {_text(where)} with {how}"
    target = draft.pick(rng, lambda _k, v: isinstance(v, str))
    if target is None:
        return None
    container, key, where = target
    container[key] = change(container[key])
    return f"{_text(where)} with {how}"


def nesting(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    target = draft.pick(rng)
    if target is None:
        return None
    container, key, where = target
    depth = rng.choice((10, 62, 63, 64, 65, 100, 999, 1000, 1001, 5000))
    as_list = rng.random() < 0.5
    if depth <= 100:
        value: Any = []
        for _ in range(depth):
            value = [value] if as_list else {"a": value}
        container[key] = value
    elif as_list:
        container[key] = draft.splice("[" * depth + "]" * depth)
    else:
        container[key] = draft.splice('{"a": ' * depth + "1" + "}" * depth)
    return f"{_text(where)} = {depth} nested {'lists' if as_list else 'mappings'}"


def alias(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    target = draft.pick(rng)
    if target is None:
        return None
    container, key, where = target
    draft.yaml_only = True
    trick = rng.choice(("share", "bomb", "self", "merge", "undefined"))
    if trick == "share":  # the dumper writes an anchor and an alias for a value held twice
        shared = draft.pick(rng, lambda _k, v: isinstance(v, (dict, list)) and v is not container)
        if shared is None:
            return None
        container[key] = shared[0][shared[1]]
        return f"{_text(where)} = alias of {_text(shared[2])}"
    if trick == "bomb":
        levels = rng.randint(2, 9)
        lists = ["&l0 [" + ", ".join(["lol"] * 9) + "]"] + [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
        container[key] = draft.splice("[" + ", ".join(lists) + "]")
        return f"{_text(where)} = alias bomb of 9^{levels} values"
    if trick == "self":
        container[key] = draft.splice(rng.choice(("&me [1, *me]", "&me {a: *me}")))
        return f"{_text(where)} = a value containing itself"
    if trick == "undefined":
        container[key] = draft.splice("*nowhere")
        return f"{_text(where)} = an undefined alias"
    mapping = draft.pick(rng, lambda _k, v: isinstance(v, dict) and bool(v))
    if mapping is None:
        return None
    merged_into = mapping[0][mapping[1]]
    name = rng.choice(list(merged_into))
    value = merged_into.pop(name)
    merged_into[draft.splice("<<")] = {name: value}
    return f"{_text((*mapping[2], name))} merged in with <<"


def procedure(rng: random.Random, draft: Draft, corpus: Corpus) -> str | None:
    document = draft.document
    if not isinstance(document, dict):
        return None
    scheme, name = rng.choice(corpus.procedures)
    roll = rng.random()
    if roll < 0.4:
        document["procedure"] = name
        return f"procedure = {name} (of {scheme})"
    if roll < 0.7:
        document["scheme"] = rng.choice([*corpus.versions, "unknown-scheme", "../objectif-co2", "objectif-co2/"])
        return f"scheme = {document['scheme']}"
    if roll < 0.85:
        document.update(scheme=scheme, procedure=name)
        return f"scheme and procedure = {scheme} {name}"
    document["procedure"] = rng.choice(("__class__", "__init__", "constructor", "input", "outcomes", "Labelling", "labelling "))
    return f"procedure = {document['procedure']!r}"


def companions(rng: random.Random, draft: Draft, corpus: Corpus) -> str | None:
    document = draft.document
    if not isinstance(document, dict):
        return None
    roll = rng.random()
    if roll < 0.1:
        document.pop("companions", None)
        return "companions dropped"
    held = document.get("companions")
    roles = list(held) if isinstance(held, dict) and held else [role for role, _ in corpus.companions]
    role = rng.choice([*roles, "method", "factors", "unknown_role"])
    scheme = rng.choice(list(corpus.versions))
    version = rng.choice([*corpus.versions[rng.choice(list(corpus.versions))], "1900-01-01", "2999-12-31", ""])
    reference = rng.choice((scheme, {"scheme": scheme, "version": version}, {"scheme": scheme, "version": version, "extra": 1}, "nope", [], {"version": version}))
    if not isinstance(held, dict):
        held = document["companions"] = {}
    held[role] = reference
    return f"companions.{role} = {reference!r}"


def version(rng: random.Random, draft: Draft, corpus: Corpus) -> str | None:
    document = draft.document
    if not isinstance(document, dict):
        return None
    own = corpus.versions.get(str(document.get("scheme")), ())
    other = corpus.versions[rng.choice(list(corpus.versions))]
    document["version"] = rng.choice((*own, *other, "1900-01-01", "2999-12-31", "latest", "", "../2014-05-19", 2024, dt.date(2025, 1, 1)))
    return f"version = {document['version']!r}"


def ledger(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    if not isinstance(draft.document, dict):
        return None
    draft.document["ledger"] = rng.choice((
        "/dev/zero", "/dev/null", "../../../../etc/passwd", "/proc/self/status", "unusable/fec-2025-atelier.txt",
        "unusable/ledger-unmapped-account-and-bad-amount.yaml", "ledgers", "ledgers/", "nowhere.txt", "ledgers/fec-2025-usinage.txt", "", ".",
    ))
    return f"ledger = {draft.document['ledger']!r}"


def grow(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    target = draft.pick(rng, lambda _k, v: isinstance(v, list) and bool(v))
    if target is None:
        return None
    container, key, where = target
    size = rng.choice((0, 50, 500, 2000))
    items = container[key]
    container[key] = [copy.deepcopy(items[i % len(items)]) for i in range(size)]
    return f"{_text(where)} grown to {size} items"


def not_a_mapping(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    draft.document = rng.choice(([], "text", None, 42, [draft.document], {"facts": draft.document}))
    return f"the document = {type(draft.document).__name__}"


def odd_key(rng: random.Random, draft: Draft, _corpus: Corpus) -> str | None:
    target = draft.pick(rng, lambda _k, v: isinstance(v, dict))
    mapping = target[0][target[1]] if target else draft.document
    if not isinstance(mapping, dict):
        return None
    roll = rng.random()
    if roll < 0.3 and mapping:  # a key written twice
        name = rng.choice([k for k in mapping if isinstance(k, str)] or ["x"])
        mapping[draft.splice(name, json.dumps(name))] = rng.choice(WRONG_TYPES)
        return f"key {name!r} written twice"
    if roll < 0.45:  # keys JSON cannot write and a Python dict cannot hold
        key = draft.splice(rng.choice(("[a, b]", "{a: 1}", ".nan", "? x")), json.dumps("[a, b]"))
    else:
        key = rng.choice((1, None, True, dt.date(2024, 1, 1), 1.5, "", " ", "extra", "Scheme", "facts "))
    mapping[key] = rng.choice(WRONG_TYPES)
    return f"key {draft.raw[key][0] if key in draft.raw else key!r} added{' at ' + _text(target[2]) if target else ''}"


MUTATIONS: tuple[Mutation, ...] = (
    drop_key, wrong_type, number, number, boolean, date, date, text, nesting, alias, procedure, companions, version, ledger, grow, not_a_mapping, odd_key,
)


def _break_bytes(rng: random.Random, content: bytes, suffix: str) -> tuple[bytes, str]:
    """A file a writer got wrong: cut short, a byte order mark, invalid UTF-8, two documents, CRLF or tabs."""
    trick = rng.choice(("truncated", "byte order mark", "invalid UTF-8", "a second document", "CRLF", "tabs"))
    if trick == "truncated":
        return content[: rng.randrange(len(content) + 1)], trick
    if trick == "byte order mark":
        return b"\xef\xbb\xbf" + content, trick
    if trick == "invalid UTF-8":
        at = rng.randrange(len(content) + 1)
        return content[:at] + b"\xff\xfe" + content[at:], trick
    if trick == "a second document":
        return content + (b"\n---\nscheme: x\n" if suffix == "yaml" else b"\n{}\n"), trick
    if trick == "CRLF":
        return content.replace(b"\n", b"\r\n"), trick
    return content.replace(b"\n  ", b"\n\t"), trick


def make_case(corpus: Corpus, seed: int, index: int) -> Case:
    """Case `index` of the run `seed`: one to three mutations of an example, and one time in twelve a broken file."""
    rng = random.Random(f"{seed}:{index}")
    path, document = corpus.examples[index % len(corpus.examples)]
    draft = Draft(copy.deepcopy(document))
    notes: list[str] = []
    for _ in range(rng.choices((1, 2, 3), weights=(60, 25, 15))[0]):
        for _attempt in range(10):  # a mutation may find nothing to change (no number in a document that is now a list)
            note = rng.choice(MUTATIONS)(rng, draft, corpus)
            if note is not None:
                notes.append(note)
                break
    suffix, written = draft.render(rng)
    content = written.encode("utf-8")
    if rng.random() < 1 / 12:
        content, trick = _break_bytes(rng, content, suffix)
        notes.append(f"file {trick}")
    return Case(seed, index, path, suffix, content, tuple(notes))
