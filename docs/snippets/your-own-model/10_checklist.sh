# --8<-- [start:run]
stillhouse checklist support-router --output support-router/review.md
# --8<-- [end:run]
