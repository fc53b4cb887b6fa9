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
