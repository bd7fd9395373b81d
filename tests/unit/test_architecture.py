"""The package tree keeps its shape: imports run one way, no circles, algo/ stays pure, analysis/
never loads TensorFlow, and every file a doc or docstring names exists.

The chain (shared/DESIGN.md): tune -> launch -> population -> evaluation -> {algo, analysis}
-> envs -> storage -> config. An arrow may skip layers downwards, never point up or sideways.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ddpg"

#: Layer of each package; an import must go to a strictly lower layer (or stay in its package).
LAYERS = {
    "config": 0,
    "storage": 1,
    "envs": 2,
    "algo": 3,
    "analysis": 3,
    "evaluation": 4,
    "population": 5,
    "launch": 6,
    "tune": 7,
}
COMMANDS = {"run", "compare", "evaluate", "bench", "tune.__main__"}  # the top, thin
#: Third-party roots algo/ must not import: it is DDPG's math and state, no files or configs.
ALGO_FORBIDDEN = ("hydra", "omegaconf", "tensorboard", "ddpg.storage", "ddpg.launch")


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path, name: str) -> set[str]:
    """Every module `path` imports, at the top or inside a function (a lazy import is an arrow)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def ddpg_graph() -> dict[str, set[str]]:
    mods = modules()
    return {
        name: {m for m in imports_of(path, name) if m in mods and m != name and m != "ddpg"}
        for name, path in mods.items()
    }


def layer(module: str) -> tuple[str, int]:
    parts = module.split(".")
    if ".".join(parts[1:]) in COMMANDS:
        return module, 100
    package = parts[1] if len(parts) > 1 else ""
    return package, LAYERS.get(package, -1)


def test_every_module_belongs_to_a_known_package_or_is_a_command() -> None:
    strays = [m for m in modules() if m != "ddpg" and layer(m)[1] < 0]
    assert not strays, f"modules outside the known packages: {strays}"


def test_imports_follow_the_chain() -> None:
    against = []
    for module, imported in ddpg_graph().items():
        package, level = layer(module)
        for target in imported:
            target_package, target_level = layer(target)
            # Commands are the top: `tune` composes trials with `run`'s own conversion.
            if target_package != package and target_level >= level and level < 100:
                against.append(f"{module} -> {target}")
    assert not against, "imports against the chain:\n" + "\n".join(sorted(against))


def test_no_import_circles() -> None:
    graph = ddpg_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_algo_imports_no_hydra_files_or_tensorboard() -> None:
    bad = []
    for name, path in modules().items():
        if name.startswith("ddpg.algo"):
            for imported in imports_of(path, name):
                if imported.startswith(ALGO_FORBIDDEN):
                    bad.append(f"{name} imports {imported}")
            if re.search(r"\bopen\(|\.write_text\(|\.save_weights\(", path.read_text()):
                bad.append(f"{name} writes files")
    assert not bad, "\n".join(bad)


def test_analysis_never_loads_tensorflow() -> None:
    analysis = sorted(m for m in modules() if m.startswith("ddpg.analysis"))
    code = (
        f"import importlib, sys\nfor m in {analysis!r} + ['ddpg.compare']:\n"
        "    importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


#: Paths named in docs and docstrings: a project file (ddpg/..., tests/..., experiments/...,
#: conf/..., hydra_plugins/...) with an extension.
PATH_REFERENCE = re.compile(
    r"(?<![\w./-])((?:ddpg|tests|experiments|conf|hydra_plugins)/[\w./-]*\.(?:py|md|yaml|json|csv))"
)


def documents() -> list[Path]:
    sources = [("ddpg", "*.py"), ("hydra_plugins", "*.py"), ("tests", "*.py"), ("conf", "*.yaml")]
    sources += [("experiments", "*.py"), ("experiments", "*.md")]
    found = [ROOT / "README.md"]
    found += [path for folder, pattern in sources for path in (ROOT / folder).rglob(pattern)]
    return [path for path in found if ".venv" not in path.parts]


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_named_file_exists(document: Path) -> None:
    text = document.read_text()
    missing = sorted(
        {ref for ref in PATH_REFERENCE.findall(text) if "<" not in ref and "*" not in ref}
        - {ref for ref in PATH_REFERENCE.findall(text) if (ROOT / ref).exists()}
    )
    # A path relative to the document's own folder counts too.
    missing = [ref for ref in missing if not (document.parent / ref).exists()]
    assert not missing, f"{document.relative_to(ROOT)} names files that do not exist: {missing}"


#: A dotted module reference in prose: `ddpg.<package or command>[.<module>]...`.
FILE_SUFFIXES = {"yaml", "py", "md", "json", "csv", "log", "png", "txt"}
MODULE_REFERENCE = re.compile(r"(?<![\w/.])ddpg(?:\.[a-z_]\w*)+")


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_named_module_exists(document: Path) -> None:
    """A dotted `ddpg.<name>` is a module or package; inside a package, its next name a module."""
    known = set(modules())
    missing = set()
    for ref in MODULE_REFERENCE.findall(document.read_text()):
        parts = ref.split(".")
        if parts[-1] in FILE_SUFFIXES:  # a file name such as conf/search/ddpg.yaml
            continue
        head = ".".join(parts[:2])
        if (
            head not in known
            or (PACKAGE / parts[1]).is_dir()
            and len(parts) > 2
            and ".".join(parts[:3]) not in known
        ):
            missing.add(ref)
    assert not missing, f"{document.relative_to(ROOT)} names modules that do not exist: {missing}"
