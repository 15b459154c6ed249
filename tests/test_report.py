"""newstally report: a self-contained HTML page, checked as HTML and as rendered by headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from newstally.cli import main


def make_report(tmp_path: Path) -> Path:
    out = tmp_path / "report.html"
    assert main(["report", "--sample", "-o", str(out), "--title", "Sample <corpus>"]) == 0
    return out


def test_report_html_has_every_section(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    html = make_report(tmp_path).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<title>Sample &lt;corpus&gt;</title>" in html
    for section in ("<h2>Terms</h2>", "<h2>2-word phrases</h2>", "<h2>Named entities</h2>", "<h2>Over time (month)</h2>"):
        assert section in html
    assert html.count("data:image/png;base64,") == 4  # terms, phrases, entities, time
    assert "port avalon" in html and "Adaeze Okafor" in html and "2026-06" in html
    assert "http://" not in html.split("<body>")[1].split("Made by")[0]  # self-contained: nothing to fetch


def test_report_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["report", "-o", str(tmp_path / "r.html")])
    assert e.value.code == 2
    assert main(["report", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "r.html")]) == 1
    assert "missing.jsonl" in capsys.readouterr().err


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    image = pytest.importorskip("matplotlib.image")
    browser = chromium()
    if browser is None:
        pytest.skip("headless Chromium is not installed (.ci/run installs Debian's chromium)")
    page = make_report(tmp_path).as_uri()
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run([*flags, "--dump-dom", page], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "Top 20 of" in dom and dom.count("<table>") == 7 and dom.count("<img") == 4
    shot = tmp_path / "report.png"
    subprocess.run([*flags, "--window-size=1100,2600", f"--screenshot={shot}", page],
                   capture_output=True, timeout=120, check=True)
    pixels = image.imread(shot)
    # The bar charts' blue (#3b6ea8) is on the rendered page: the embedded charts were drawn.
    blue = (abs(pixels[..., 0] - 0x3B / 255) < 0.02) & (abs(pixels[..., 1] - 0x6E / 255) < 0.02) & (
        abs(pixels[..., 2] - 0xA8 / 255) < 0.02
    )
    assert blue.sum() > 5000


def test_report_leaves_the_plotting_backend_alone() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    import newstally
    from newstally.report import render

    previous = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        html = render(newstally.count(["a b c", "b c d"]), title="t")
        assert matplotlib.get_backend() == "svg"
        assert html.count("data:image/png;base64,") == 1
    finally:
        matplotlib.use(previous)
