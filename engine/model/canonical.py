"""Canonical serialisation and digests.

Two documents that mean the same (same keys and values, whatever the key
order, comments, quoting or YAML style) have the same digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
"""The types of a JSON scalar: tested with one set lookup, before any slower isinstance (an ABC check)."""


def to_plain(value: Any) -> Any:
    """Turn dates into ISO strings and tuples into lists, recursively."""
    if type(value) in SCALAR_TYPES:
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(to_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
