# exit status: 1 (same result, for machines: one record per requirement)
stillhouse validate examples/minimal --format json > validate.json
