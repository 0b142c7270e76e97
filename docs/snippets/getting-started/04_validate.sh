# exit status: 0 (every must-level requirement passes for an experimental project)
stillhouse validate support-intent-router
