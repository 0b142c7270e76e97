# --8<-- [start:run]
stillhouse eval support-router --gate
# --8<-- [end:run]
