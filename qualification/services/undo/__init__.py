"""Undo a qualification (one, or a bulk job's): see `examine` for what refuses an undo and
`run` for what it does. Not re-exported by `qualification.services`: it builds on the engine,
which itself reads the field services."""

from __future__ import annotations

from qualification.services.undo.errors import (
    UNDO_ALREADY_DONE,
    UNDO_NOT_FOUND,
    UNDO_REFUSED,
    UndoError,
    UndoNotFoundError,
    UndoRefusedError,
)
from qualification.services.undo.examine import UndoCandidate, undo_examine
from qualification.services.undo.run import (
    UNDONE_TITLE,
    UndoLeadResult,
    UndoOutcome,
    qualification_undo,
    qualifications_latest,
    qualifications_undo,
    undo_blockers,
    undo_preview,
)

__all__ = [
    "UNDONE_TITLE",
    "UNDO_ALREADY_DONE",
    "UNDO_NOT_FOUND",
    "UNDO_REFUSED",
    "UndoCandidate",
    "UndoError",
    "UndoLeadResult",
    "UndoNotFoundError",
    "UndoOutcome",
    "UndoRefusedError",
    "qualification_undo",
    "qualifications_latest",
    "qualifications_undo",
    "undo_blockers",
    "undo_examine",
    "undo_preview",
]
