"""`python -m gsm_platform.bench`: see the package's docstring."""

import sys

from gsm_platform.bench import main

sys.exit(main())
