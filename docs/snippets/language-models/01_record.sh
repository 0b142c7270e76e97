# output contains: the manifest's teacher is now the recording
# --8<-- [start:run]
# The teacher answers the eval set and the distillation set once. The manifest's teacher
# becomes the recording, pinned by its sha256; the file's first line keeps what answered,
# over which sets, and the tokens and USD it cost (from the endpoint's `pricing`).
stillhouse record my-llm --write-manifest --quiet
# --8<-- [end:run]
