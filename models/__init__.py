"""Data types of kehoach: the document model and the database schema (not ML models)."""
