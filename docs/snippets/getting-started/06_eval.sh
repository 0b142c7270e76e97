# requires: eval
# The standard report and the gate; EVAL-005 then holds in review and production too.
stillhouse eval support-intent-router --gate
