# --8<-- [start:run]
stillhouse eval support-router --teacher-only
# --8<-- [end:run]
