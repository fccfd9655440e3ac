"""SEE Cluster Policy Learning Platform: a git-backed Markdown wiki.

Importing the package imports nothing else (no Flask): the app is built by
`wiki.app.create_app()`, the command line is `wiki.cli`.
"""

__version__ = "0.1.0"
