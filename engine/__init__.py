"""referee's engine: versioned referentials, version selection, rules, decisions.

The public API; the CLI (`cli.py`) is a thin layer over it.
"""

from .checks import validate_paths
from .dossier import Dossier, load_dossier, read_dossier
from .errors import DecisionFileError, DossierError, EvaluationError, RefereeError, ReferentialError, UsageError
from .evaluate import DECISION_FORMAT, evaluate, evaluate_file
from .explain import derivation_tree
from .referential import ReferentialVersion, load_referential
from .store import Store

__all__ = [
    "DECISION_FORMAT",
    "DecisionFileError",
    "Dossier",
    "DossierError",
    "EvaluationError",
    "RefereeError",
    "ReferentialError",
    "ReferentialVersion",
    "Store",
    "UsageError",
    "derivation_tree",
    "evaluate",
    "evaluate_file",
    "load_dossier",
    "load_referential",
    "read_dossier",
    "validate_paths",
]
