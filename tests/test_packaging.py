"""qawl installs under one namespace and works beside a user's own modules."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def test_every_package_folder_is_installed_under_qawl():
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    dirs = setup["package-dir"]
    found = {"qawl", "qawl.configs"}
    for top in ("data", "models", "train"):
        for init in (ROOT / top).rglob("__init__.py"):
            found.add("qawl." + ".".join(init.parent.relative_to(ROOT).parts))
    assert set(setup["packages"]) == found
    assert {dirs[f"qawl.{t}"] for t in ("data", "models", "train")} == {"data", "models", "train"}


@pytest.fixture()
def user_folder(tmp_path) -> Path:
    """A user's project: their own ``models.py``, ``data/`` package and ``train.py``,
    each of which fails loudly if anything imports it."""
    user = tmp_path / "project"
    (user / "data").mkdir(parents=True)
    (user / "data" / "__init__.py").write_text('raise ImportError("the user\'s data package was imported")\n')
    (user / "models.py").write_text('raise ImportError("the user\'s models.py was imported")\n')
    (user / "train.py").write_text('raise ImportError("the user\'s train.py was imported")\n')
    return user


def run_in(folder: Path, *args: str, env_path: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": env_path or str(folder)}
    return subprocess.run([sys.executable, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=600)


def test_predict_and_the_python_api_run_beside_a_users_modules(user_folder, tiny_checkpoint):
    out = user_folder / "pred.jsonl"
    res = run_in(user_folder, "-m", "qawl", "predict", "--checkpoint", str(tiny_checkpoint),
                 str(SAMPLE / "test.jsonl"), "-o", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 8
    script = (
        "import sys\n"
        "from qawl.train.prediction.predict import load_checkpoint, predict_articles\n"
        "from qawl.data.article import read_articles\n"
        "from qawl.train.config import load_config\n"
        f"model, tok, spec, labels = load_checkpoint({str(tiny_checkpoint)!r})\n"
        f"arts = read_articles([{str(SAMPLE / 'dev.jsonl')!r}])\n"
        "print(len(predict_articles(model, tok, spec, labels, arts)))\n"
        "load_config('default')\n"
        "assert not {'data', 'models', 'train'} & set(sys.modules), sorted(sys.modules)\n"
    )
    res = run_in(user_folder, "-c", script)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "8"


def test_the_wheel_holds_only_the_qawl_namespace(tmp_path):
    # built from a copy: setuptools writes build/ and *.egg-info into the folder it builds
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".ci", "runs", "build", "*.egg-info", "__pycache__",
                                                                 ".pytest_cache", ".hypothesis", "benchmarks", "tests"))
    wheels = tmp_path / "wheels"
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                          "-q", "-w", str(wheels)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    (wheel,) = wheels.glob("qawl-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert all(n.startswith(("qawl/", "qawl-")) for n in names), [n for n in names if not n.startswith("qawl")][:5]
    for expected in ("qawl/__main__.py", "qawl/data/build.py", "qawl/models/modeling_qawl.py",
                     "qawl/train/commands/cli.py", "qawl/configs/default.yaml", "qawl/data/sample/train.jsonl",
                     "qawl/models/vocab/ant-news-pieces.txt.gz",
                     "qawl/train/evaluation/metrics/qawl_quotes/qawl_quotes.py"):
        assert expected in names, expected

    # installed from the wheel alone (no editable finder in the way): qawl.* import, the bare names do not
    target = tmp_path / "site"
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                          str(wheel)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    check = (
        "import importlib, qawl.train, qawl.models, qawl.data\n"
        f"assert qawl.data.__file__.startswith({str(target)!r}), qawl.data.__file__\n"
        "for name in ('data', 'models', 'train'):\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError:\n"
        "        continue\n"
        "    raise SystemExit(f'{name} imported')\n"
        "from qawl.train.config import load_config\n"
        "cfg = load_config('default')\n"  # the shipped config and the sample corpus it names, from the wheel
        "from qawl.train.corpora import load_articles\n"
        "print(sum(len(a) for parts in load_articles(cfg.data, 13).values() for _, a in parts))\n"
    )
    res = run_in(tmp_path, "-c", check, env_path=str(target))
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "48"
