# --8<-- [start:run]
# The review checklist: automatic items already ticked, the reviewer's questions open.
stillhouse checklist support-intent-router --output support-intent-router/review.md
# --8<-- [end:run]
