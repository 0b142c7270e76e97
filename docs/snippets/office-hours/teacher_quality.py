"""Is it the student, or the teacher? Read the report's three figures per slice.

A student that agrees with its teacher but scores low against the gold labels is
copying the teacher's mistakes: distilling harder will not help; fix the teacher (or
check the labels) first.
"""

import json
from pathlib import Path

from standards import EvalReport

report = EvalReport.model_validate(json.loads(Path("examples/minimal/report/report.json").read_text()))

print(f"{'slice':<14}{'n':>5}{'teacher':>9}{'student':>9}{'agree':>7}  diagnosis")
for s in report.slices:
    teacher, student, agree = s.teacher_accuracy.value, s.student_accuracy.value, s.agreement.value
    if teacher < 0.75 and agree >= 0.85:
        diagnosis = "teacher-quality problem: the student copies a weak teacher"
    elif agree < 0.85 and student < teacher - 0.05:
        diagnosis = "distillation gap: the student has not learnt the teacher here"
    else:
        diagnosis = "ok"
    print(f"{s.name:<14}{s.n:>5}{teacher:>9.3f}{student:>9.3f}{agree:>7.3f}  {diagnosis}")
