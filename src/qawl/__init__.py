"""qawl: named entities and attributed quotes in Arabic news.

The package has three layers, each importing only those below it:

- ``qawl.data``: articles, validation, alignment, dataset builders, importers
  (no torch);
- ``qawl.models``: base encoders, the tagger, the code a checkpoint carries;
- ``qawl.train``: training recipe, evaluation, prediction and the ``qawl``
  command line.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qawl")
except PackageNotFoundError:  # imported from a source tree that is not installed
    __version__ = "0+unknown"
