"""Progress of each model pass (items/s, ETA) with rich, on stderr; silent when quiet."""

from __future__ import annotations

import sys
from typing import Any


class _Silent:
    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def start(self, description: str, total: int | None) -> int:
        return 0

    def advance(self, task: int, n: int) -> None:
        return None

    def finish(self, task: int) -> None:
        return None

    def note(self, text: str) -> None:
        return None


class _Rich(_Silent):
    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class ItemsPerSecond(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.1f} items/s" if speed else "– items/s", style="cyan")

        self.console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 120)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 ItemsPerSecond(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=self.console, transient=False)

    def __enter__(self) -> _Rich:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, description: str, total: int | None) -> int:
        return int(self.progress.add_task(description, total=total))

    def advance(self, task: int, n: int) -> None:
        self.progress.advance(task, n)  # type: ignore[arg-type]

    def finish(self, task: int) -> None:
        t = next(x for x in self.progress.tasks if int(x.id) == task)
        if t.total is None:
            self.progress.update(task, total=1, completed=1)  # type: ignore[arg-type]

    def note(self, text: str) -> None:
        self.progress.console.print(text, markup=False)


def progress_for(quiet: bool) -> _Silent:
    """A progress display, or a silent stand-in for CI (`--quiet`)."""
    return _Silent() if quiet else _Rich()
