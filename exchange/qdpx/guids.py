"""GUIDs that stay the same from one export to the next, so that a project exported twice, or
exported and imported back, names the same things the same way.

Objects that have a UUID of their own (codes, codings, transcripts, participants, attributes,
memos, source projects) use it as their GUID. The rest are derived with uuid5 from something
stable: a selection from its transcript, version and span; a transcript version's text file from
the transcript and version number; a user from the study and the username (accounts have no
UUID, and the same person gets a different GUID in each study).
"""

import re
import uuid

# Fixed for good: changing it changes every derived GUID of every export.
NAMESPACE = uuid.UUID("6f0c3c0e-8a1f-5b7e-9d2a-4c1b7e3a9f10")

GUID = re.compile(
    r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$"
)


def guid(value: uuid.UUID) -> str:
    """A UUID as the exporter writes it: lower-case, no braces."""
    return str(value)


def normalise(value: str) -> str:
    """A GUID as found in a file (either case, braces or not) in the exporter's form, so that
    references can be compared; ValueError for something that is no GUID."""
    match = GUID.match(value.strip())
    if match is None or (value.strip().startswith("{") != value.strip().endswith("}")):
        raise ValueError(f"{value!r} is not a GUID")
    return match.group(1).lower()


def study_namespace(study_slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"study:{study_slug}")


def user_guid(study_slug: str, username: str) -> str:
    return guid(uuid.uuid5(study_namespace(study_slug), f"user:{username}"))


def selection_guid(transcript_uuid: uuid.UUID, version_number: int, start: int, end: int) -> str:
    return guid(uuid.uuid5(transcript_uuid, f"selection:{version_number}:{start}:{end}"))


def text_guid(transcript_uuid: uuid.UUID, version_number: int) -> str:
    """The name of a transcript version's text file in sources/."""
    return guid(uuid.uuid5(transcript_uuid, f"text:{version_number}"))
