# --8<-- [start:run]
# Bring the frozen eval set, the training data, the teacher and the student.
# (Here: the minimal example's files, so you can follow along from a checkout.)
cp examples/minimal/data/eval.jsonl examples/minimal/data/train.jsonl support-intent-router/data/
cp -r examples/minimal/teacher examples/minimal/student support-intent-router/
cd support-intent-router
stillhouse hash data/eval.jsonl data/train.jsonl teacher/predictions.jsonl student/
# --8<-- [end:run]
