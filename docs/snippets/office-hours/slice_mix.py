"""Has production moved away from the eval set? Compare the slice mix with PSI.

The population stability index over the declared slices: below 0.1 the mix is stable,
0.1 to 0.25 worth a look, above 0.25 the eval set no longer describes production.
"""

import math

import harness
from standards import slice_masks
from standards.tabular import read_rows

project = harness.load_project("examples/minimal")
m = project.manifest
eval_rows = read_rows(project.path(m.eval_set.path))
prod_rows = read_rows(project.path(m.monitoring.production_sample))

field = m.eval_set.fields.input
eval_masks = slice_masks(m.slices, eval_rows, field)
prod_masks = slice_masks(m.slices, prod_rows, field)

psi = 0.0
print(f"{'slice':<10}{'eval share':>11}{'production':>11}")
for s in m.slices:
    e = max(sum(eval_masks[s.name]) / len(eval_rows), 1e-4)
    p = max(sum(prod_masks[s.name]) / len(prod_rows), 1e-4)
    psi += (p - e) * math.log(p / e)
    print(f"{s.name:<10}{e:>11.1%}{p:>11.1%}")
verdict = "stable" if psi < 0.1 else "worth a look" if psi < 0.25 else "the eval set no longer describes production"
print(f"PSI over the slices: {psi:.3f} ({verdict})")
