# --8<-- [start:run]
stillhouse distill support-router --write-pin
# --8<-- [end:run]
