"""The real ``hub`` command with the test doubles registered: ``python -m tests.doubles.hub sync ...``."""

import tests.doubles  # noqa: F401  (registers the doubles)
from hub.cli import main

if __name__ == "__main__":
    main()
