"""Catalogue-scale batch runs: resumable (SQLite run state), local or on Ray, any storage."""
