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



def _private_imports_across_areas() -> list[str]:
    """Each `harness` area (a subpackage) is entered through its `__init__`: a module of one
    area importing another area's private module (`harness.eval._run` from `harness.cli`)
    reaches past that boundary. The top-level helpers (`harness._io`, `_yaml`, `_stats` …)
    are shared by every area."""
    import ast
    from pathlib import Path

    root = Path(harness.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        package = ("harness", *parts[:-1])  # what a relative import of level 1 starts from
        area = parts[0] if len(parts) > 1 else None
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = tuple(node.module.split(".")) if node.module else ()
            target = (*package[: len(package) - node.level + 1], *module) if node.level else module
            if target[:1] == ("harness",) and len(target) > 2 and target[1] != area \
                    and any(p.startswith("_") for p in target[2:]):
                found.append(f"{path.relative_to(root)}:{node.lineno} imports {'.'.join(target)}")
    return found


def test_areas_are_entered_through_their_init() -> None:
    assert _private_imports_across_areas() == []
