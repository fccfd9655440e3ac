"""`python -m wiki` is the `wiki` command."""

from .cli import main

main()
