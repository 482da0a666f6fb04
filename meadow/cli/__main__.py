import sys

from meadow.cli import main

sys.exit(main())
