# exit status: 1 (the minimal example has no evaluation report yet: EVAL-005 fails)
stillhouse validate examples/minimal
