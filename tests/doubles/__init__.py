"""Test doubles, registered as connector types only inside the test suite.

Importing this package adds ``type = "memory"`` (an in-memory remote that can misbehave on
purpose) to the registry; the product never ships it.
"""

from connectors.registry import register

register("memory", "tests.doubles.memory:MemoryConnector")
