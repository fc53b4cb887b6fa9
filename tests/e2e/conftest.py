import pytest

from tests.e2e.harness import BotServers, trained_model


@pytest.fixture(scope="session")
def model(tmp_path_factory):
    return trained_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def bot(model, tmp_path_factory):
    servers = BotServers(model, tmp_path_factory.mktemp("bot"))
    servers.load_demo()
    with servers:
        yield servers
