"""The public surface changes only on purpose."""

import harness
import standards


def _public(mod):
    return sorted(n for n in vars(mod) if not n.startswith("_") and n not in {"annotations"}
                  and not (hasattr(vars(mod)[n], "__spec__") and n not in mod.__all__))


def test_harness_all_is_sorted_and_complete():
    assert harness.__all__ == sorted(harness.__all__)
    assert set(harness.__all__) == set(_public(harness)) - {"PackageNotFoundError"}


def test_standards_all_is_sorted_and_complete():
    assert standards.__all__ == sorted(standards.__all__)
    public = set(_public(standards))
    assert set(standards.__all__) == public
