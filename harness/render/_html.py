"""The Jinja2 environment every HTML (and SVG) rendering goes through: templates shipped
in `harness/render/templates/`, autoescape on for all of them, undefined names an error.

Jinja2 is imported on first use, so the light commands that only write Markdown do not
load it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("harness.render", "templates"),
        autoescape=True,             # every template is HTML or SVG: escaping is never the caller's job
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(template: str, **context: Any) -> str:
    """Render one template with ``context``."""
    return str(environment().get_template(template).render(**context))


def macro(name: str, template: str = "_parts.html.j2") -> Any:
    """A macro of ``template`` as a Python callable (its output is escaped HTML)."""
    return getattr(environment().get_template(template).module, name)


def one_line(html: str) -> str:
    """``html`` on one line, so that Markdown passes it through as a single raw HTML block
    (a blank line would end the block); whitespace between tags carries no meaning here."""
    return " ".join(part.strip() for part in html.splitlines() if part.strip())
