"""Give a checkpoint folder its own pipeline.

:func:`attach_pipeline` copies ``models/pipeline_qawl.py`` and, verbatim,
the data modules it imports relatively (and those they import, found by
reading the files) into the folder, and records in ``config.json`` the
custom pipeline (``custom_pipelines``, the form ``Pipeline.save_pretrained``
writes) and the window settings (``qawl_windows``). Then

    transformers.pipeline(model=FOLDER, trust_remote_code=True)

picks the pipeline with no task named and needs neither qawl nor
``qawl.yaml``. transformers resolves a relative import ``from .x import``
to ``x.py`` next to the importing file, so the copies sit flat in the folder.
"""
from __future__ import annotations

import ast
import dataclasses
import json
import shutil
import sys
from pathlib import Path

from qawl.data.build import WindowSpec

PIPELINE_FILE = Path(__file__).resolve().with_name("pipeline_qawl.py")
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
PIPELINE_CLASS = "QawlPipeline"
#: the task name ``config.json`` registers the pipeline under
TASK = "qawl-extraction"
#: the config key the pipeline reads its window settings from
WINDOWS_KEY = "qawl_windows"
#: top-level packages the carried code may import besides the standard library
ALLOWED_IMPORTS = frozenset({"torch", "transformers"})


class CarryError(ValueError):
    """Carried code that would not run from a checkpoint folder."""


def carried_files(entry: Path = PIPELINE_FILE, data_dir: Path = DATA_DIR) -> list[Path]:
    """``entry`` and every data module it needs, found through relative imports.

    Each file's relative imports (``from .x import``, any depth in the file)
    resolve to ``data_dir / "x.py"``. Raises :class:`CarryError` naming the
    file and import when a carried file imports anything but the standard
    library, torch and transformers (inside functions too: transformers'
    import check reads whole files), or a relative import it cannot carry.
    """
    files = [entry]
    seen = {entry.name}
    for path in files:
        for module in relative_imports(path):
            target = data_dir / f"{module}.py"
            if not target.is_file():
                raise CarryError(f"{path}: relative import of {module!r}, but {target} does not exist")
            if target.name in seen:
                continue
            seen.add(target.name)
            files.append(target)
    return files


def relative_imports(path: Path) -> list[str]:
    """Modules ``path`` imports relatively, after checking its absolute imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.ImportFrom):
            if node.level != 1 or not node.module or "." in node.module:
                raise CarryError(f"{path}:{node.lineno}: only `from .module import ...` can be carried")
            out.append(node.module)
            continue
        else:
            continue
        for name in names:
            root = name.split(".")[0]
            if root not in ALLOWED_IMPORTS and root not in sys.stdlib_module_names:
                raise CarryError(f"{path}:{node.lineno}: imports {name!r}; carried code may import only torch, transformers and the standard library")
    return sorted(set(out))


def attach_pipeline(ckpt_dir: str | Path, spec: WindowSpec) -> list[Path]:
    """Copy the pipeline code into ``ckpt_dir`` and register it in its ``config.json``.

    ``spec``: the window settings the model was trained with. Returns the
    copied files (in the folder). ``config.json`` must already exist (write
    the model first).
    """
    ckpt = Path(ckpt_dir)
    config_file = ckpt / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"{ckpt}: no config.json; save the model before attaching its pipeline")
    copied = []
    for source in carried_files():
        target = ckpt / source.name
        shutil.copyfile(source, target)
        copied.append(target)
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["custom_pipelines"] = {
        TASK: {
            "impl": f"{PIPELINE_FILE.stem}.{PIPELINE_CLASS}",
            "pt": ["AutoModelForTokenClassification"],
            "type": "text",
        }
    }
    config[WINDOWS_KEY] = dataclasses.asdict(spec)
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return copied
