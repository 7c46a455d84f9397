from studies.models.audit import AuditAction, AuditEvent
from studies.models.participants import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    AudioStage,
    Interview,
    Participant,
    Withdrawal,
)
from studies.models.protocol import Protocol, ProtocolDomain, ProtocolPrompt, ProtocolQuestion
from studies.models.study import (
    AnalysisMode,
    AnalysisModeChange,
    InclusionCriterion,
    Membership,
    Role,
    SourceProject,
    Study,
    WithdrawalPolicy,
)
from studies.models.vault import ConsentRecord, Identity, ScreeningRecord

__all__ = [
    "AnalysisMode",
    "AnalysisModeChange",
    "AttributeDefinition",
    "AttributeKind",
    "AttributeValue",
    "AudioStage",
    "AuditAction",
    "AuditEvent",
    "ConsentRecord",
    "Identity",
    "InclusionCriterion",
    "Interview",
    "Membership",
    "Participant",
    "Protocol",
    "ProtocolDomain",
    "ProtocolPrompt",
    "ProtocolQuestion",
    "Role",
    "ScreeningRecord",
    "SourceProject",
    "Study",
    "Withdrawal",
    "WithdrawalPolicy",
]
