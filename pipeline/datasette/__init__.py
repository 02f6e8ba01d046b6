"""Datasette metadata shipped with kehoach (``metadata.json``), read by :mod:`kehoach.pipeline.serve`."""
