"""Reconciling two coders' codings of one transcript after a blind round."""
