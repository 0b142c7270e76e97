# --8<-- [start:run]
stillhouse fleet fleet-registry --check
# --8<-- [end:run]
