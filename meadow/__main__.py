"""`python -m meadow`: the `meadow` command, for when the console script is not on PATH."""

import sys

from meadow.cli import main

sys.exit(main())
