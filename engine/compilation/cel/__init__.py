"""CEL expressions translated once into Python closures that give what the Rust binding gives.

The Rust binding (package common-expression-language) costs tens of microseconds per evaluation,
mostly converting values; a translated expression runs on the Python values themselves in about a
microsecond. `parse` gives the syntax tree (nodes.py), `translate` the evaluator. The grammar is
cel-spec's (cel.lark); the semantics are the binding's, established by probing it, including where
it departs from cel-spec: `values.py` and `translator.py` mark each such place `binding:`, and
`regex.py` runs the Rust `regex` crate's dialect (Unicode word classes...), not RE2's as cel-spec says.
"""

from engine.compilation.cel.errors import CelEvaluationError, CelSyntaxError
from engine.compilation.cel.nodes import Node
from engine.compilation.cel.parser import parse
from engine.compilation.cel.translator import translate

__all__ = ["CelEvaluationError", "CelSyntaxError", "Node", "parse", "translate"]
