"""``python -m pycharge`` is the ``pycharge`` command."""

import sys

from pycharge.cli.main import main

sys.exit(main())
