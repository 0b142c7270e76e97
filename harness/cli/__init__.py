"""The `stillhouse` command line: one module per command, registered on one group.

Importing this package imports every command module, each of them light: a command
imports what it runs (torch, transformers, an HTTP client) inside its own function."""

from __future__ import annotations

from . import (  # noqa: F401 - importing a command module registers it
    checklist,
    distill,
    drift,
    eval,
    fleet,
    hash,
    init,
    publish,
    record,
    retire,
    schema,
    validate,
)
from ._app import EXIT_FAILED, EXIT_INPUT, EXIT_OK, cli, main

__all__ = ["EXIT_FAILED", "EXIT_INPUT", "EXIT_OK", "cli", "main"]
