"""Anonymisation of transcripts: pure detection of identifiers and the spans they cover."""
