"""Is a slice big enough to judge? The width of its 95% interval says.

For an accuracy near 90%, a slice of 30 examples has an interval about ±11 points wide:
a bar at 0.85 can neither pass nor fail it with confidence. BAR-003 enforces the bars'
`min_examples`; this shows how precise each slice's figure will be.
"""

import math

import harness
from standards import slice_masks
from standards.tabular import read_rows


def wilson_half_width(p: float, n: int, z: float = 1.96) -> float:
    """Half the width of the Wilson score interval for a proportion p on n examples."""
    if n == 0:
        return 1.0
    return z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)


project = harness.load_project("examples/minimal")
m = project.manifest
rows = read_rows(project.path(m.eval_set.path))
masks = slice_masks(m.slices, rows, m.eval_set.fields.input)
needed = max((b.min_examples for b in m.quality_bars), default=30)

for name, mask in masks.items():
    n = sum(mask)
    width = wilson_half_width(0.9, n)
    flag = "too small to judge" if n < needed or width > 0.1 else "ok"
    print(f"{name:<8} n={n:<4} accuracy 0.90 would read as ±{width:.3f}  {flag}")
