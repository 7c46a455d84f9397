"""Reading transcript files: byte-level checks, then format detection and parsing."""
