"""The optional extras, and a clear error when a command needs one that is not installed."""

from __future__ import annotations

import importlib.util

from ._errors import InputError

MODELS = ("torch", "transformers", "safetensors", "tokenizers")


def require_models(what: str) -> None:
    """Refuse (exit 2) with the install line when the `models` extra is missing: ``what``
    names the work that needs it, e.g. "a local student"."""
    missing = [m for m in MODELS if importlib.util.find_spec(m) is None]
    if missing:
        raise InputError(f"{what} needs the `models` extra ({', '.join(missing)} not installed): "
                         "pip install 'stillhouse[models]'")


def quiet_libraries() -> None:
    """Keep the libraries' own progress bars and warnings out of Stillhouse's output
    (transformers prints "Loading weights" bars per model), which has its own progress."""
    import os

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
