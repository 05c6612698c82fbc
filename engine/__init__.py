"""referee's engine: versioned referentials, version selection, rules, decisions.

The pipeline, one subpackage per stage (the CLI, `cli.py`, is a thin layer over it):

    referentials/*.yaml  rules/*/<version>/*.yaml     dossier.yaml   (FEC)
            │                    │                         │           │
       model/  read strictly (libyaml), check (JSON Schema), digest    adapters/  FEC reader, ledger
            │                                              │           │
       library.Library.open(root) — compiles once, keeps everything ──┐ │
            │                                              │          │ │
       selection/  which version governs each section, and why (time) │ │
            │                                              │          │ │
       compilation/  expressions (CEL → Python), rules, input validators, procedures
            │                                              │            │
       running/  facts validated, rules fired by a runtime (durable-rules, python, compiled), batches
            │
       decision/  the typed decision (referee.decision/2), explain, text views

       authoring/  what standards bodies run: validate's checks, table import, publication (locks)
"""

__version__ = "0.1.0"  # the one place it is written: pyproject.toml reads it

from engine.decision.model import DECISION_FORMAT, Decision
from engine.errors import DecisionFileError, DossierError, EvaluationError, RefereeError, ReferentialError, UsageError
from engine.library import Library
from engine.model.dossier import Dossier, load_dossier, read_dossier
from engine.model.referential import ReferentialVersion

__all__ = [
    "__version__",
    "DECISION_FORMAT",
    "Decision",
    "DecisionFileError",
    "Dossier",
    "DossierError",
    "EvaluationError",
    "Library",
    "RefereeError",
    "ReferentialError",
    "ReferentialVersion",
    "UsageError",
    "load_dossier",
    "read_dossier",
]
