"""The project's own source as syntax trees, for the tests that read the code base.

Parsed in a child process: CPython 3.11 keeps the AST builder's recursion counter in
one state shared by every thread, so a live-server thread printing a traceback (3.11's
tracebacks parse the failing line to place their carets) while a test parses a file
makes `ast.parse` fail with "AST constructor recursion depth mismatch".
"""

import ast
import pickle
import subprocess
import sys
from pathlib import Path

import allies

ROOT = Path(allies.__file__).parent

_PARSE = """
import ast, pickle, sys
paths = sys.stdin.read().split("\\n")
trees = {p: ast.parse(open(p, encoding="utf-8").read(), filename=p) for p in paths}
sys.stdout.buffer.write(pickle.dumps(trees))
"""


def project_trees(*, skip: Path | None = None) -> list[tuple[Path, ast.AST]]:
    """Every module of `allies` but its migrations (and `skip`), with its syntax tree."""
    paths = [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if path != skip and "migrations" not in path.parts
    ]
    done = subprocess.run(
        [sys.executable, "-c", _PARSE],
        input="\n".join(str(path) for path in paths).encode(),
        capture_output=True,
        check=True,
    )
    trees = pickle.loads(done.stdout)  # noqa: S301 -- our own child's output
    return [(path, trees[str(path)]) for path in paths]
