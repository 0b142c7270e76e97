# output contains: saved student/
# --8<-- [start:run]
# Two processes train one student (data parallel): `--multi_gpu` is accelerate's torchrun
# launcher; without GPUs its processes train on the CPU over gloo. On a machine with 8
# GPUs: --num_processes 8. `--no_python` runs the `stillhouse` command itself.
accelerate launch --multi_gpu --num_processes 2 --num_machines 1 --mixed_precision no \
    --dynamo_backend no --no_python stillhouse distill my-model --force
# --8<-- [end:run]
