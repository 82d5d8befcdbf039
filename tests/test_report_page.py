"""`qawl report`'s page as headless Chromium renders it: no console message, every
chart drawn, right to left, markup in the data shown as text, a screenshot that is not blank.

    python tests/test_report_page.py docs/report-page.png   # the README's screenshot, by this renderer
"""
from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script too

from qawl.data.article import write_articles  # noqa: E402
from qawl.train.archive.charts import SEGMENT_COLOURS  # noqa: E402
from qawl.train.archive.page import CHARTS  # noqa: E402
from report_articles import invented_articles  # noqa: E402
from test_show import Tree  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (Debian package 'chromium');"
                                                             " the page is not rendered")


def chromium(page: Path, profile: Path, *flags: str) -> subprocess.CompletedProcess:
    """Headless Chromium on a local page, console messages logged to stderr (``...:CONSOLE...``)."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", *flags, page.as_uri()]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return res


def rendered(page: Path, profile: Path) -> tuple[Tree, list[str]]:
    """The DOM after the page's script ran, and every console message."""
    res = chromium(page, profile, "--dump-dom")
    return Tree(res.stdout), [line for line in res.stderr.splitlines() if ":CONSOLE" in line]


def screenshot(page: Path, png: Path, profile: Path, width: int, height: int, scale: float) -> bytes:
    """A PNG of the top ``width`` x ``height`` CSS pixels of the page, at ``scale`` device pixels each."""
    chromium(page, profile, "--hide-scrollbars", f"--window-size={width},{height}",
             f"--force-device-scale-factor={scale}", f"--screenshot={png}")
    return png.read_bytes()


def png_pixels(data: bytes) -> list[tuple[int, ...]]:
    """Every pixel of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes), row by row."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * bpp
    prev, pixels = bytearray(stride), []
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # undo the row filter (PNG spec, section 9.2)
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels += [tuple(line[x:x + 3]) for x in range(0, stride, bpp)]
        prev = line
    return pixels


def write_page(folder: Path) -> Path:
    """`qawl report` over the invented articles; the page's path."""
    write_articles(folder / "pred.jsonl", invented_articles())
    out = folder / "report.html"
    res = subprocess.run([sys.executable, "-m", "qawl", "report", "pred.jsonl", "-o", str(out),
                          "--model", "invented predictions (tests/report_articles.py)"],
                         cwd=folder, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return out


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    return write_page(tmp_path_factory.mktemp("report-page"))


def check_rendered(tree: Tree, console: list[str]) -> dict[str, int]:
    """What every rendered report must show; returns the bars of each chart."""
    assert console == []
    html_el = next(n for n in tree.root.walk() if n.tag == "html")
    assert html_el.attrs.get("dir") == "rtl" and html_el.attrs.get("lang") == "ar"
    figures = {n.attrs["data-chart"]: n for n in tree.root.walk() if n.tag == "figure"}
    assert list(figures) == list(CHARTS)
    bars = {}
    for name, fig in figures.items():
        svg = [n for n in fig.walk() if n.tag == "svg"]
        assert len(svg) == 1, name
        bars[name] = sum("bar" in n.classes() for n in svg[0].walk())
        assert bars[name] == int(fig.attrs["data-bars"]), name
    # the script ran: each filter box counts the rows it shows
    outputs = [n.text() for n in tree.root.walk() if n.tag == "output"]
    assert outputs and all(" / " in text for text in outputs)
    return bars


@needs_chromium
def test_page_renders_every_chart_right_to_left_with_no_console_message(page, tmp_path):
    tree, console = rendered(page, tmp_path / "profile")
    bars = check_rendered(tree, console)
    assert bars == {"top-speakers": 10, "top-people": 8, "top-organisations": 1, "outlets": 3,
                    "anonymous-by-outlet": 3, "months": 4, "categories": 4}
    text = tree.root.text()
    assert "<script>alert(1)</script>" in text and "<script>alert('title')</script> تقرير السوق" in text
    assert len([n for n in tree.root.walk() if n.tag == "script"]) == 1  # the page's own
    assert "10 / 10" in [n.text() for n in tree.root.walk() if n.tag == "output"]


@needs_chromium
def test_screenshot_is_not_blank(page, tmp_path):
    pixels = png_pixels(screenshot(page, tmp_path / "shot.png", tmp_path / "profile", 1000, 1400, 0.5))
    assert len(pixels) == 500 * 700
    colours = Counter(pixels)
    background, n = colours.most_common(1)[0]
    assert n / len(pixels) < 0.9, f"{n / len(pixels):.0%} of the page is {background}"
    assert len(colours) > 50  # text, borders, bars: not a flat fill
    bar = tuple(int(SEGMENT_COLOURS[0][k:k + 2], 16) for k in (1, 3, 5))
    assert colours[bar] > 100, "no chart bar drawn"


@needs_chromium
def test_a_page_of_ant_articles_renders(shared_data, tmp_path):
    """Rule-made predictions over the first 300 ANT articles (real outlets, RFC 2822 dates, categories)."""
    from qawl.data.silver.corpus import silver_corpus

    corpus = shared_data / "ant" / "ant-multisource-v2.1.jsonl.gz"
    if not corpus.is_file():
        pytest.skip(f"ANT corpus not found at {corpus}")
    arts = list(silver_corpus(corpus, set(), limit=300))
    write_articles(tmp_path / "silver.jsonl", arts)
    res = subprocess.run([sys.executable, "-m", "qawl", "report", str(tmp_path / "silver.jsonl"), "-o",
                          str(tmp_path / "ant.html")], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    tree, console = rendered(tmp_path / "ant.html", tmp_path / "profile")
    bars = check_rendered(tree, console)
    assert bars["outlets"] == len({a["source"] for a in arts}) and bars["months"] >= 1
    assert bars["top-speakers"] == 20
    cards = {n.attrs["data-stat"]: n.attrs["data-value"] for n in tree.root.walk() if "card" in n.classes()}
    assert cards["articles"] == "300" and cards["quotes"] == str(sum(len(a["quotes"]) for a in arts))


@needs_chromium
def test_qawl_predict_on_1000_ant_articles_then_report(shared_data, tiny_checkpoint, tmp_path):
    """The archive path end to end: 1,000 ANT articles spread over the corpus (every outlet,
    years of dates) through `qawl predict` (the tiny untrained checkpoint: its quotes and
    speakers are arbitrary, their number is not small), then `qawl report` with the
    checkpoint's scores in the methods box, rendered."""
    import email.utils
    import gzip
    import json

    corpus = shared_data / "ant" / "ant-multisource-v2.1.jsonl.gz"
    if not corpus.is_file():
        pytest.skip(f"ANT corpus not found at {corpus}")
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    step = len(lines) // 1000
    (tmp_path / "ant.jsonl").write_text("".join(lines[::step][:1000]), encoding="utf-8")
    arts = [json.loads(line) for line in lines[::step][:1000]]
    del lines
    qawl = [sys.executable, "-m", "qawl"]
    res = subprocess.run([*qawl, "predict", "--checkpoint", str(tiny_checkpoint), str(tmp_path / "ant.jsonl"), "-q",
                          "-o", str(tmp_path / "pred.jsonl")], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "1000 article(s) predicted" in res.stderr
    preds = [json.loads(line) for line in (tmp_path / "pred.jsonl").read_text(encoding="utf-8").splitlines()]
    n_quotes = sum(len(p["quotes"]) for p in preds)
    assert n_quotes > 1000
    res = subprocess.run([*qawl, "report", str(tmp_path / "pred.jsonl"), "-o", str(tmp_path / "ant.html"),
                          "--checkpoint", str(tiny_checkpoint)], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    tree, console = rendered(tmp_path / "ant.html", tmp_path / "profile")
    bars = check_rendered(tree, console)
    assert bars["outlets"] == len({a["source"] for a in arts}) > 3
    months = {email.utils.parsedate_to_datetime(a["time"]).strftime("%Y-%m") for a in arts}  # RFC 2822 in ANT
    assert bars["months"] == len(months) > 6 and bars["top-speakers"] > 0
    cards = {n.attrs["data-stat"]: n.attrs["data-value"] for n in tree.root.walk() if "card" in n.classes()}
    assert cards["articles"] == "1000" and cards["quotes"] == str(n_quotes)


def write_docs_screenshot(png: Path) -> None:
    """The README's screenshot: the invented articles' page, top 1280 x 1700 CSS pixels."""
    with tempfile.TemporaryDirectory() as tmp:
        screenshot(write_page(Path(tmp)), png.resolve(), Path(tmp) / "profile", 1280, 1700, 1)


if __name__ == "__main__":
    write_docs_screenshot(Path(sys.argv[1]))
