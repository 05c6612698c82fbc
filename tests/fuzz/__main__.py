"""`python -m tests.fuzz` (`make fuzz`): see tests/fuzz/runner.py."""

import sys

from tests.fuzz.runner import main

sys.exit(main())
