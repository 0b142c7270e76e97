# --8<-- [start:run]
cd support-router
stillhouse hash data/eval.jsonl data/train.jsonl teacher/
# --8<-- [end:run]
