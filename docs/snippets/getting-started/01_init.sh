# exit status: 1 (a new project fails only on the placeholders you must fill in)
# --8<-- [start:run]
stillhouse init support-intent-router
stillhouse validate support-intent-router
# --8<-- [end:run]
