# exit status: 0 (every must-level requirement passes for an experimental project)
# --8<-- [start:run]
stillhouse validate support-intent-router
# --8<-- [end:run]
