"""``python -m bayeshcc``: the same command line as ``bayeshcc``."""

import sys

from bayeshcc.cli import main

if __name__ == "__main__":
    sys.exit(main())
