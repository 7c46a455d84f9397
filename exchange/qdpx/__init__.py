"""REFI-QDA interchange: `data` (the project as plain dataclasses), `writer` (data → project.qde,
.qdpx, .qdc), `validate` (the official schemas and the checks they do not make), `guids` (stable
GUIDs), and `export` (a study, through the blind rule, to a checked and audited file).

Only `export` touches Django; the rest is pure and shared with the importer."""
