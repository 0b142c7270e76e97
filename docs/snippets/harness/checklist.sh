# exit status: 1 (the automatic items are ticked or crossed; EVAL-005 is crossed)
stillhouse checklist examples/minimal --output review.md
