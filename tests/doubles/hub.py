"""The real ``hub`` command with the test doubles registered: ``python -m tests.doubles.hub sync ...``.

With ``HUB_TEST_KILL_AT`` / ``HUB_TEST_POINTS`` set, the process also counts its crash points
and kills itself at the chosen one (:mod:`tests.doubles.crashpoints`).
"""

import tests.doubles  # noqa: F401  (registers the doubles)
from hub.entry import main
from tests.doubles.crashpoints import install

if __name__ == "__main__":
    install()
    main()
