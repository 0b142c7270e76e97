# output contains: manifest-1.1.schema.json
stillhouse schema --out schemas/
