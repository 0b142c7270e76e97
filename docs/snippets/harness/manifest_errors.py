"""Every problem in a manifest at once, each with file, field path, expected and found."""

from pathlib import Path

import harness

project = Path("broken-project")
project.mkdir(exist_ok=True)
(project / "stillhouse.yaml").write_text(
    'standards_version: "1.2"\n'
    "name: Not A Slug\n"
    "task: translation\n",
    encoding="utf-8",
)

try:
    harness.load_project(project)
except harness.ManifestError as err:  # exit code 2 on the command line
    for p in err.problems:
        print(f"{p.file}:{p.line} {p.field}: expected {p.expected}; found {p.found}")
