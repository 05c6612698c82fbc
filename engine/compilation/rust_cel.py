"""The Rust CEL runtime (package common-expression-language), without its command-line tools.

`import cel` runs the package's `__init__`, which imports its command-line
interface (typer, rich, prompt_toolkit): about 0.2 s of every `referee` run.
The package offers no way around it, so this is the one place that works
around it: the compiled extension `cel.cel` is imported under a stand-in for
its package, which is withdrawn at once. A later `import cel` elsewhere runs
the real `__init__`, which finds `cel.cel` already loaded. Everything in
referee imports `cel` from here.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types


def _extension() -> types.ModuleType:
    if "cel" in sys.modules:  # the package was imported already: nothing to save
        return importlib.import_module("cel.cel")
    package = importlib.util.find_spec("cel")  # finds the package without running its __init__
    if package is None or package.submodule_search_locations is None:
        raise ImportError("the CEL runtime (package common-expression-language) is not installed")
    stand_in = types.ModuleType("cel")
    stand_in.__path__ = list(package.submodule_search_locations)
    stand_in.__spec__ = package
    sys.modules["cel"] = stand_in
    try:
        return importlib.import_module("cel.cel")
    finally:
        del sys.modules["cel"]


cel = _extension()
