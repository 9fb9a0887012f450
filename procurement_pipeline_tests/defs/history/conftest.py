import dagster as dg
import pytest


@pytest.fixture(scope="session")
def instance():
    """One temporary Dagster instance for these tests (each builds in ~0.5 s); every test
    reads its own runs by run id."""
    with dg.instance_for_test() as instance:
        yield instance
