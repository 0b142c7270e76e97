# --8<-- [start:run]
stillhouse validate support-router
# --8<-- [end:run]
