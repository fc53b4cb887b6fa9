import pytest

from tests.e2e.harness import demo_bot, trained_model


@pytest.fixture(scope="session")
def model(tmp_path_factory):
    return trained_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def bot(model, tmp_path_factory):
    yield from demo_bot(model, tmp_path_factory.mktemp("bot"))
