# --8<-- [start:run]
stillhouse publish support-router --registry fleet-registry
# --8<-- [end:run]
