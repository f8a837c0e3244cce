"""The README's Python block is code a newcomer pastes: it must run as written (on the shipped
data) and stay formatted (`ruff format --check .`, run by `make test`, formats Markdown code
blocks too)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from planning.errors import PlanningDeprecationWarning

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.slow
def test_the_readme_python_api_block_runs_as_written(tmp_path, monkeypatch):
    blocks = _python_blocks(ROOT / "README.md")
    assert len(blocks) == 1 and "scenarios.run(" in blocks[0]
    # run from a fresh folder holding the shipped scenarios, so that its output lands there
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlanningDeprecationWarning)  # no old name in the README
        exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert (tmp_path / "results" / "cost_key" / "results.parquet").is_file()
    assert len(namespace["table"]) > 0 and namespace["v"].levers.max_refusal == 0.02
