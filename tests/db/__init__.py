"""Database and analyst-workflow tests (SQLite and a real PostgreSQL)."""
