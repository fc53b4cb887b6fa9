"""The entity extractor as a Rasa graph component: what it stores in the model and loads."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_model_loads_the_extractors_so_the_first_message_does_not_wait(tmp_path):
    # A fresh interpreter: other tests of this session may already have loaded natasha's NER.
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        from rasa.engine.graph import ExecutionContext, GraphSchema
        from rasa.engine.storage.local_model_storage import LocalModelStorage
        from rasa.engine.storage.resource import Resource
        from rasa.shared.nlu.training_data.message import Message
        from rasa.shared.nlu.training_data.training_data import TrainingData

        from wewall.nlu import contacts
        from wewall.nlu.components import WewallEntityExtractor

        storage = LocalModelStorage(Path(sys.argv[1]))
        resource = Resource("extractor")
        context = ExecutionContext(GraphSchema({}), "test")
        config = {"stations": ["Белорусская", "Сокол"]}
        WewallEntityExtractor.create(config, storage, resource, context).train(TrainingData())
        before = contacts._models is not None
        component = WewallEntityExtractor.load({"stations": None}, storage, resource, context)
        after = contacts._models is not None
        [message] = component.process([Message.build("Анна, офис у Сокола")])
        found = {e["entity"]: e["value"] for e in message.get("entities")}
        print(json.dumps({"before": before, "after": after, "found": found}, ensure_ascii=False))
        """
    )
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["before"] is False and result["after"] is True
    # the station list came from the model, not from the config passed to load()
    assert result["found"] == {"person_name": "Анна", "estate_type": "office", "metro_station": "Сокол"}


def test_the_fingerprint_follows_the_station_list():
    from wewall.nlu.components import WewallEntityExtractor

    def fingerprint(names):
        return WewallEntityExtractor.fingerprint_addon({"stations": names})

    assert fingerprint(["Сокол", "Аэропорт"]) == fingerprint(["Сокол", "Аэропорт"])
    assert len({fingerprint(["Сокол"]), fingerprint(["Сокол", "Аэропорт"]), fingerprint(["Аэропорт", "Сокол"])}) == 3


TINY_CONFIG = """
recipe: default.v1
language: ru
assistant_id: cache-test
pipeline:
  - name: WhitespaceTokenizer
  - name: wewall.nlu.components.WewallEntityExtractor
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
policies: []
"""
TINY_NLU = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - привет
    - здравствуйте
    - добрый день
- intent: request_search
  examples: |
    - ищу офис
    - подберите офис у метро
    - нужен офис в аренду
"""
WRITE_STATIONS = """if True:
    import sys
    from wewall import storage
    from wewall.data import demo
    stations = demo.demo_stations()[:3]
    if sys.argv[1:]:  # an import that adds a station
        new = dict(stations[0], _id="novaya", name=sys.argv[1], name_key="novaya")
        stations.append(new)
    with storage.writing() as db:
        storage.replace_stations(db, stations)
"""


def test_rasa_train_retrains_the_extractor_after_a_station_import_and_restores_the_rest(tmp_path):
    """`rasa train` as a Rasa user runs it, cache on: the station list is an input of training."""
    import os
    import tarfile

    (tmp_path / "config.yml").write_text(TINY_CONFIG, encoding="utf-8")
    (tmp_path / "nlu.yml").write_text(TINY_NLU, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "RASA_MAX_CACHE_SIZE"}
    env.update(PYTHONPATH=str(ROOT), WEWALL_DATA_DIR=str(tmp_path / "data"), RASA_TELEMETRY_ENABLED="false",
               RASA_CACHE_DIRECTORY=str(tmp_path / "cache"), TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("WEWALL_MONGODB_URI", None)
    bin_dir = Path(sys.executable).parent

    def run(*args):
        out = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
        return out.stdout + out.stderr

    def train(name):
        log = run(str(bin_dir / "rasa"), "train", "nlu", "-c", "config.yml", "--nlu", "nlu.yml",
                  "--out", "models", "--fixed-model-name", name)
        with tarfile.open(tmp_path / "models" / f"{name}.tar.gz") as tar:
            [member] = [m for m in tar.getmembers() if m.name.endswith("/stations.json")]
            stations = json.loads(tar.extractfile(member).read().decode("utf-8"))
        return log, stations

    restored = "Restored component '{}' from cache."
    trained = "Finished training component '{}'."
    run(sys.executable, "-c", WRITE_STATIONS)
    log, before = train("first")
    assert len(before) == 3 and trained.format("WewallEntityExtractor") in log

    run(sys.executable, "-c", WRITE_STATIONS, "Новостанционная")
    log, after = train("second")
    assert "Новостанционная" in after and len(after) == 4
    assert trained.format("WewallEntityExtractor") in log
    for unchanged in ("CountVectorsFeaturizer", "LogisticRegressionClassifier"):
        assert restored.format(unchanged) in log

    log, again = train("third")  # nothing changed: the extractor too comes from the cache
    assert again == after and restored.format("WewallEntityExtractor") in log
