# --8<-- [start:run]
# Bring the frozen eval set, the training data, the teacher and the student.
# (Here: the minimal example's files, so you can follow along from a checkout.)
cp examples/minimal/data/eval.jsonl examples/minimal/data/train.jsonl support-intent-router/data/
mkdir -p support-intent-router/recorded      # a recorded teacher's answers: small, committed
cp examples/minimal/teacher/predictions.jsonl support-intent-router/recorded/teacher.jsonl
cp -r examples/minimal/student support-intent-router/
cd support-intent-router
stillhouse hash data/eval.jsonl data/train.jsonl recorded/teacher.jsonl student/
# --8<-- [end:run]
