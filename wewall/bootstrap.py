"""The one place that changes Rasa's own code at run time (wewall/rasa_patches.py says what and why).

Everything Rasa lets us replace by configuration is a class named there instead: the lock
stores (endpoints.yml, wewall/lock_store.py) and DIET's faster prediction call (config.yml,
wewall/nlu/diet.py). What is left is patched here, and only:
- when `install()` is called: `ManagerChatPolicy` calls it when Rasa builds the policy, which
  every process that trains or serves our model does (importing a module patches nothing);
- when every library a patch touches has exactly the version it was tested with (TESTED): a
  mismatch logs a warning and leaves that part of Rasa as it is;
- unless `WEWALL_RASA_PATCHES=off`, which leaves Rasa untouched (and DIET on Rasa's own call).
What was installed or skipped is logged once per process.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from importlib import metadata
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

log = logging.getLogger(__name__)

SWITCH = "WEWALL_RASA_PATCHES"
_OFF = {"off", "0", "false", "no"}

# The versions the patches were written against and tested with (constraints.txt).
TESTED: Dict[str, str] = {"rasa": "3.6.21", "tensorflow": "2.12.0", "scipy": "1.10.1", "jsonschema": "4.17.3"}

_MISSING = object()
_lock = threading.Lock()
# patch name → what it replaced: (owner, attribute, the owner's own value before or _MISSING)
_installed: Dict[str, List[Tuple[Any, str, Any]]] = {}
_warned: set = set()


def enabled() -> bool:
    return os.environ.get(SWITCH, "on").strip().lower() not in _OFF


@functools.cache
def _version(package: str) -> Optional[str]:
    # read once per process: `allowed` runs on every DIET prediction, a lookup costs ≈1 ms
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def installed_versions(packages: Iterable[str] = TESTED) -> Dict[str, Optional[str]]:
    return {package: _version(package) for package in packages}


def mismatches(requires: Iterable[str], versions: Optional[Mapping[str, Optional[str]]] = None) -> List[str]:
    """«tensorflow 2.13.0 (tested with 2.12.0)» for each required package not at its tested version."""
    versions = versions if versions is not None else installed_versions(requires)
    return [f"{p} {versions.get(p)} (tested with {TESTED[p]})" for p in requires if versions.get(p) != TESTED[p]]


def allowed(name: str, requires: Iterable[str], versions: Optional[Mapping[str, Optional[str]]] = None) -> bool:
    """Whether the change `name` may be used: patches on, and the versions it was tested with."""
    if not enabled():
        return False
    wrong = mismatches(requires, versions)
    if wrong and name not in _warned:
        _warned.add(name)
        log.warning("Rasa patch «%s» skipped, other versions than tested: %s", name, ", ".join(wrong))
    return not wrong


def install(versions: Optional[Mapping[str, Optional[str]]] = None) -> List[str]:
    """Install the patches of wewall/rasa_patches.py that fit; the names installed by this call."""
    if not enabled():
        if "off" not in _warned:
            _warned.add("off")
            log.info("Rasa patches off (%s=off): Rasa runs unchanged", SWITCH)
        return []
    with _lock:
        try:
            from wewall import rasa_patches
        except Exception:  # another Rasa or scipy may lack what the patches import
            log.warning("Rasa patches skipped: wewall.rasa_patches does not import", exc_info=True)
            return []
        done = []
        for patch in rasa_patches.PATCHES:
            if patch.name in _installed or not allowed(patch.name, patch.requires, versions):
                continue
            saved = []
            for owner, attribute, value in patch.replacements():
                saved.append((owner, attribute, vars(owner).get(attribute, _MISSING)))
                setattr(owner, attribute, value)
            _installed[patch.name] = saved
            done.append(patch.name)
    if done:
        log.info("Rasa patches installed: %s", ", ".join(done))
    return done


def uninstall() -> None:
    """Give Rasa its own code back (tests)."""
    with _lock:
        for name in reversed(list(_installed)):
            for owner, attribute, before in reversed(_installed.pop(name)):
                if before is _MISSING:
                    delattr(owner, attribute)
                else:
                    setattr(owner, attribute, before)
        _warned.clear()


def installed() -> List[str]:
    return list(_installed)
