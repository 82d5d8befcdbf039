"""``python -m qawl ...``: the ``qawl`` command line."""
import sys

from qawl.train.commands.cli import main

sys.exit(main())
