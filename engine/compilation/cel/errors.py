"""The two ways a CEL expression fails: it does not translate, or it fails when evaluated."""

from __future__ import annotations


class CelSyntaxError(ValueError):
    """The expression cannot be translated: bad syntax, a bad literal, or a construct not supported."""


class CelEvaluationError(ValueError):
    """A CEL runtime error: no such key, no matching overload, overflow, division by zero, ..."""
