"""The fleet: a registry of every team's models read into one fleet report (owners,
status, current evaluations, fired triggers, rollout figures), drift monitoring of a
production sample against the eval baseline, and publishing a project into a registry.

Light: no torch, transformers or datasets."""

from __future__ import annotations

from ..render import fleet_markdown  # the one fleet renderer (fleet.md and the site's page)
from ._assess import build_fleet, needs_attention, resolve_clock
from ._drift import compute_drift, registry_entry_for, wilson, write_drift_record
from ._publish import PublishResult, publish
from ._registry import CACHE_FILE, fast_yaml, scan_entry

__all__ = ["CACHE_FILE", "PublishResult", "build_fleet", "compute_drift", "fast_yaml", "fleet_markdown",
           "needs_attention", "publish", "registry_entry_for", "resolve_clock", "scan_entry", "wilson",
           "write_drift_record"]
