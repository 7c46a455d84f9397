from transcripts.models.anonymisation import (
    Candidate,
    CandidateStatus,
    Category,
    EntityReplacement,
    ListedIdentifier,
    OriginalText,
    SearchJob,
)
from transcripts.models.imports import FINISHED, PENDING, ImportJob, JobStatus
from transcripts.models.transcripts import (
    Speaker,
    Transcript,
    TranscriptState,
    TranscriptVersion,
    Turn,
)

__all__ = [
    "FINISHED",
    "PENDING",
    "Candidate",
    "CandidateStatus",
    "Category",
    "EntityReplacement",
    "ImportJob",
    "JobStatus",
    "ListedIdentifier",
    "OriginalText",
    "SearchJob",
    "Speaker",
    "Transcript",
    "TranscriptState",
    "TranscriptVersion",
    "Turn",
]
