"""``python -m pycharge.runtime.child``: one module in its own process (see processes.py)."""

import sys

from pycharge.runtime.processes import child_main

sys.exit(child_main())
