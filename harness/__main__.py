"""`python -m harness` is the `stillhouse` command."""

from ._cli import main

main()
