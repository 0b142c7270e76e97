# output contains: pinned
# --8<-- [start:run]
# Train the student on the recorded answers; pin it in the manifest. Run again with
# nothing changed and it is skipped (the training record's key matches).
stillhouse distill my-llm --write-pin
# --8<-- [end:run]
