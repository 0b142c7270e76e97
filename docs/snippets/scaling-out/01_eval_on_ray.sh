# output contains: Gate: PASS
# --8<-- [start:run]
# The minimal example on a Ray cluster started on this machine for the run, with two
# workers; it is shut down when the run ends. With the address of a running cluster
# instead of `local` (HOST:PORT as `ray start --head` prints it, or `auto` on one of its
# nodes), the run connects to it and leaves it running.
stillhouse eval examples/minimal --ray local --ray-workers 2
# --8<-- [end:run]
