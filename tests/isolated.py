"""Run Python code where the project cannot be imported, as a user's process
without qawl would: ``python -I`` from a scratch folder, and a finder that
refuses the project's packages even when they are installed (CI installs
them in editable mode)."""
from __future__ import annotations

#: prepend to a script run with ``python -I``; it defines ``blocked``, the
#: project packages an import of which failed
REFUSE_PROJECT = r'''
import importlib.abc, sys

class RefuseProject(importlib.abc.MetaPathFinder):
    """Make the project's packages unimportable even if they are installed."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("qawl", "models", "train", "data", "tests"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, RefuseProject())
blocked = []
for name in ("qawl", "data", "models", "train"):
    try:
        __import__(name)
    except ImportError:
        blocked.append(name)
'''
