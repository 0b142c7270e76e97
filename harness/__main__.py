"""`python -m harness` is the `stillhouse` command."""

from .cli import main

main()
