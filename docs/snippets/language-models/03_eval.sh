# --8<-- [start:run]
# The student against the recorded teacher on the frozen eval set, gated on the bars.
stillhouse eval my-llm --gate --quiet
# --8<-- [end:run]
