"""wewall/bootstrap.py: when Rasa's code is patched, and when it is left as Rasa wrote it."""

import logging

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg import interpolator
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import Event
from rasa.shared.core.slots import Slot
from rasa.shared.nlu.training_data.message import Message

from wewall import bootstrap, rasa_patches

ALL = [patch.name for patch in rasa_patches.PATCHES]
TESTED = dict(bootstrap.TESTED)


def _rasas_own():
    """What each patched attribute is, as seen on its owner (identity where possible)."""
    return {
        "validate": RemoteAction.__dict__["_validate_action_result"],
        "interpolate": interpolator.interpolate_text,
        "resolve": Event.__dict__["resolve_by_type"],
        "subclass_hook": Event.__dict__.get("__init_subclass__"),
        "slot_copy": Slot.__dict__.get("__copy__"),
        "combine": Message.__dict__["_combine_features"],
        "session_expired": MessageProcessor.__dict__["_has_session_expired"],
        "run_action": RemoteAction.__dict__["run"],
    }


@pytest.fixture
def clean(monkeypatch):
    """Rasa unpatched for the test, then as it was before."""
    had = bootstrap.installed()
    bootstrap.uninstall()
    yield
    bootstrap.uninstall()
    monkeypatch.delenv(bootstrap.SWITCH, raising=False)
    if had:
        bootstrap.install()


def test_install_changes_rasa_and_uninstall_gives_it_back(clean, caplog):
    rasa = _rasas_own()
    assert rasa["interpolate"] is rasa_patches._rasa_interpolate_text  # really Rasa's before
    with caplog.at_level(logging.INFO, logger="wewall.bootstrap"):
        assert bootstrap.install(TESTED) == ALL
    assert f"Rasa patches installed: {', '.join(ALL)}" in caplog.text
    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result
    assert interpolator.interpolate_text is rasa_patches.interpolate_text
    assert Event.resolve_by_type is rasa_patches.resolve_event_type
    assert Slot.__copy__ is rasa_patches._copy_slot
    assert Message._combine_features is rasa_patches.combine_features
    assert bootstrap.install(TESTED) == []  # once per process
    bootstrap.uninstall()
    assert _rasas_own() == rasa


@pytest.mark.parametrize("setting", ["off", "OFF", "0", "false"])
def test_switched_off_rasa_is_left_untouched(clean, monkeypatch, caplog, setting):
    rasa = _rasas_own()
    monkeypatch.setenv(bootstrap.SWITCH, setting)
    with caplog.at_level(logging.INFO, logger="wewall.bootstrap"):
        assert bootstrap.install(TESTED) == []
    assert _rasas_own() == rasa and bootstrap.installed() == []
    assert "Rasa patches off" in caplog.text


@pytest.mark.parametrize("package, skipped", [
    ("rasa", ALL),
    ("scipy", ["joined features"]),
    ("jsonschema", ["action response validation"]),
    ("tensorflow", []),  # only DIET's prediction call needs it (tests/unit/test_rasa_patches_diet.py)
])
def test_another_version_skips_the_patches_that_need_it(clean, caplog, package, skipped):
    rasa = _rasas_own()
    versions = {**TESTED, package: "9.9.9"}
    with caplog.at_level(logging.INFO, logger="wewall.bootstrap"):
        done = bootstrap.install(versions)
    assert done == [name for name in ALL if name not in skipped]
    for name in skipped:
        assert f"Rasa patch «{name}» skipped, other versions than tested: {package} 9.9.9" in caplog.text
    if package == "rasa":
        assert _rasas_own() == rasa


def test_a_missing_package_is_a_mismatch():
    assert bootstrap.mismatches(["scipy"], {"scipy": None}) == ["scipy None (tested with 1.10.1)"]


def test_the_tested_versions_are_the_pinned_ones():
    pins = dict(line.strip().split("==") for line in open("constraints.txt", encoding="utf-8")
                if "==" in line and not line.startswith("#"))
    assert {p: pins[p] for p in bootstrap.TESTED} == bootstrap.TESTED


def test_building_our_policy_installs_the_patches_and_importing_it_does_not():
    import json
    import subprocess
    import sys

    # a fresh interpreter: this one has long imported the policy
    script = """if True:
        import json, logging
        logging.basicConfig(level=logging.INFO)
        from rasa.core.nlg import interpolator
        from rasa.engine.graph import ExecutionContext, GraphSchema
        from rasa.engine.storage.resource import Resource
        from wewall import bootstrap
        from wewall.policies import ManagerChatPolicy as P
        imported = [bootstrap.installed(), interpolator.interpolate_text.__module__]
        P.create(P.get_default_config(), None, Resource("p"), ExecutionContext(GraphSchema({}), "t"))
        print(json.dumps([imported, [bootstrap.installed(), interpolator.interpolate_text.__module__]]))
    """
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, bootstrap.SWITCH: "on"})
    assert out.returncode == 0, out.stderr[-2000:]
    imported, built = json.loads(out.stdout.strip().splitlines()[-1])
    assert imported == [[], "rasa.core.nlg.interpolator"]
    assert built == [ALL, "wewall.rasa_patches"]
    assert "Rasa patches installed: " + ", ".join(ALL) in out.stderr


def test_importing_the_servers_modules_sets_nothing_up():
    """Channels, the tracker store and the lock store change nothing when imported: the patches
    come from bootstrap.install(), the log masking from building a channel."""
    import json
    import subprocess
    import sys

    script = """if True:
        import json, logging
        from rasa.core.actions.action import RemoteAction
        from rasa.core.processor import MessageProcessor
        own = (RemoteAction.run, MessageProcessor._has_session_expired, logging.getLogRecordFactory())
        import wewall.channels.rest, wewall.channels.telegram, wewall.channels.webchat, wewall.channels.amocrm
        import wewall.tracker_store, wewall.lock_store
        after = (RemoteAction.run, MessageProcessor._has_session_expired, logging.getLogRecordFactory())
        wewall.channels.rest.SafeRestInput()
        print(json.dumps([a is b for a, b in zip(own, after)] + [logging.getLogRecordFactory() is own[2]]))
    """
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, True, True, False]
