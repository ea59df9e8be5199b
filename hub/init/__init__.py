"""``hub init``: the set-up wizard (see :mod:`hub.init.wizard`)."""
