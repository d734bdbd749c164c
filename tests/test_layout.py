"""Dependencies point one way (README, "Layout"): every import of the project, lazy ones inside functions
included, is read from the source with ``ast`` and checked against the layer order.

    dietsnn (numpy base)  <-  quant_train, hw  <-  sim  <-  flow  <-  bench, tests
    dietsnn               <-  deploy (the board package: numpy and pynq only)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dietsnn", "quant_train", "hw", "sim", "deploy", "flow", "bench")
#: package -> the project packages it may import
ALLOWED = {
    "dietsnn": set(),
    "quant_train": {"dietsnn"},
    "hw": {"dietsnn"},
    "sim": {"dietsnn", "hw"},
    "deploy": {"dietsnn"},
    "flow": {"dietsnn", "quant_train", "hw", "sim", "deploy"},
    "bench": {"dietsnn", "quant_train", "hw", "sim", "deploy", "flow"},
}
#: third-party packages the board package (deploy/dietsnn_driver and dietsnn) may import
BOARD_THIRD_PARTY = {"numpy", "pynq"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Absolute names of every module ``path`` imports (relative imports resolved), with line numbers."""
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((name, node.lineno))
            out += [(f"{name}.{a.name}", node.lineno) for a in node.names if a.name != "*"]
    return out


def _is_test(path: Path) -> bool:
    """Test modules (``sim/test_*.py``, ``conftest.py``) sit on top, like ``tests/``: they may import anything."""
    return path.name.startswith("test_") or path.name == "conftest.py"


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts and not _is_test(p))


def layer_violations() -> list[str]:
    bad = []
    for pkg, allowed in ALLOWED.items():
        for path in _sources(pkg):
            for name, line in _imports(path):
                top = name.split(".")[0]
                if top in PACKAGES and top != pkg and top not in allowed:
                    bad.append(f"{path.relative_to(ROOT)}:{line}: {pkg} imports {name} "
                               f"({pkg} may import {sorted(allowed) or 'nothing of the project'})")
    return bad


def board_closure() -> tuple[set[str], list[str]]:
    """Every module the board package can reach, and the third-party imports among them that are not allowed."""
    seen, todo, bad = set(), ["deploy.dietsnn_driver"], []
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        base = ROOT.joinpath(*mod.split("."))
        path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        if not path.is_file():
            continue
        for name, line in _imports(path):
            top = name.split(".")[0]
            if top in PACKAGES:
                todo.append(name)
            elif top not in sys.stdlib_module_names and top not in BOARD_THIRD_PARTY and top != "__future__":
                bad.append(f"{path.relative_to(ROOT)}:{line}: the board package reaches {name}")
    return seen, bad


def test_every_package_imports_only_the_layers_below_it():
    assert layer_violations() == []


def test_the_board_package_reaches_only_numpy_pynq_and_the_numpy_base():
    seen, bad = board_closure()
    assert bad == []
    assert {m.split(".")[0] for m in seen} <= {"deploy", "dietsnn"}


@pytest.mark.parametrize("pkg,src,expected", [
    ("sim", "from deploy.dietsnn_driver import Accelerator\n", "sim imports deploy.dietsnn_driver"),
    ("hw", "def f():\n    from quant_train.config import load_config\n", "hw imports quant_train.config"),
    ("dietsnn", "from hw import compile\n", "dietsnn imports hw"),
])
def test_the_walker_sees_a_wrong_arrow(tmp_path, monkeypatch, pkg, src, expected):
    """A lower layer that imports a higher one (lazily too) is reported."""
    fake = tmp_path / pkg
    fake.mkdir()
    (fake / "bad.py").write_text(src)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert any(expected in v for v in layer_violations())


def test_the_walker_sees_torch_reachable_from_the_board(tmp_path, monkeypatch):
    (tmp_path / "deploy" / "dietsnn_driver").mkdir(parents=True)
    (tmp_path / "dietsnn").mkdir()
    (tmp_path / "deploy" / "dietsnn_driver" / "__init__.py").write_text("from dietsnn import helper\n")
    (tmp_path / "dietsnn" / "__init__.py").write_text("")
    (tmp_path / "dietsnn" / "helper.py").write_text("def f():\n    import torch\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert board_closure()[1] == ["dietsnn/helper.py:2: the board package reaches torch"]
