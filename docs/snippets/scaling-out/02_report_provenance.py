"""What a sharded run's report says: the cluster, the workers, where latency was timed,
the cluster's throughput and where the run's time went."""

import json
from pathlib import Path

report = json.loads(Path("examples/minimal/report/report.json").read_text(encoding="utf-8"))
prov = report["provenance"]
print(f"ran on {prov['cluster']}")
student = report["student"]["latency"]
print(f"student p50 {student['p50_ms']:.2f} ms at batch size 1, timed on {student['measured_on']}; "
      f"{student['throughput_per_s']:,.0f} rows/s batched across {student['throughput_workers']} workers")
for phase, seconds in prov["cluster_seconds"].items():
    print(f"  {phase:<52} {seconds:6.1f} s")
print(f"predictions digest {prov['predictions_sha256'][:16]}…: the same as one process's")
