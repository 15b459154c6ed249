"""The README tutorial runs as written (on the shared Reuters corpus, when present)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import ROOT, news_path


def tutorial_code() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Tutorial", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the tutorial section should hold one python block"
    return blocks[0]


def test_readme_tutorial_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib").use("Agg")
    if not news_path("reuters21578").exists():
        pytest.skip("the tutorial reads ../shared/data/news/reuters21578.jsonl, which is absent")
    code = tutorial_code()
    assert '"../shared/data/news/reuters21578.jsonl"' in code
    code = code.replace('"../shared/data/news/reuters21578.jsonl"', repr(os.fspath(news_path("reuters21578"))))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README tutorial", "exec"), {})
    out = capsys.readouterr().out
    assert "1,647 of 19,779 stories mention oil" in out
    assert "('oil and gas'," in out and "'OPEC', 'ORG'" in out
    assert (tmp_path / "oil-by-month.png").read_bytes()[:4] == b"\x89PNG"
