# output contains: ran on a local Ray cluster started for this run
# --8<-- [start:run]
# The served teacher answers the eval set once, its requests spread over two workers; the
# recording is the one a single process writes, answer for answer.
stillhouse record my-llm --set eval --ray local --ray-workers 2 --quiet
# --8<-- [end:run]
