"""``python -m kehoach``: the same command line as the ``kehoach`` script."""

from kehoach.pipeline.cli import main

if __name__ == "__main__":
    main()
