# requires: eval
# --8<-- [start:run]
# The standard report and the gate; EVAL-005 then holds in review and production too.
stillhouse eval support-intent-router --gate
# --8<-- [end:run]
