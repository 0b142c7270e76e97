# exit status: 1 (a new project fails only on the placeholders you must fill in)
stillhouse init support-intent-router
stillhouse validate support-intent-router
