"""referee's engine: versioned referentials, version selection, rules, decisions.

The public API; the CLI (`cli.py`) is a thin layer over it.
"""

from engine.authoring.checks import validate_paths
from engine.model.dossier import Dossier, load_dossier, read_dossier
from engine.errors import DecisionFileError, DossierError, EvaluationError, RefereeError, ReferentialError, UsageError
from engine.running.evaluation import DECISION_FORMAT, evaluate, evaluate_file
from engine.decision.explain import derivation_tree
from engine.model.referential import ReferentialVersion, load_referential
from engine.library import Store

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
