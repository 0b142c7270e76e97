# --8<-- [start:run]
stillhouse init support-router
# --8<-- [end:run]
