"""Every button the bot can show, and what typing its title means.

Clients often type a button's title instead of tapping it («да искать», «отправить», «новый
расчет»). The buttons are collected from the domain's responses and from the literal button
dicts in the actions and dialogue code; a title typed by hand (any case, no punctuation, one typo)
is then read as the tap (`wewall.nlu.buttons.ButtonTitleClassifier`). A title shown by several
buttons with different payloads («Не важно») is left to the NLU and the forms' parsers.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from wewall.dialogue.forms import close_to, normalise

CODE_DIRS = ("actions", "wewall/dialogue")
_PAYLOAD = re.compile(r"^/(?P<intent>[\w-]+)(?P<entities>\{.*\})?$", re.S)


def parse_payload(payload: str) -> Optional[Tuple[str, List[Dict[str, Any]]]]:
    """«/inform{"calc_kind":"finished_office"}» → ("inform", [{"entity": "calc_kind", "value": …}])."""
    match = _PAYLOAD.match((payload or "").strip())
    if not match:
        return None
    entities: List[Dict[str, Any]] = []
    if match.group("entities"):
        try:
            data = json.loads(match.group("entities"))
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        entities = [{"entity": k, "value": v} for k, v in data.items()]
    return match.group("intent"), entities


def _domain_files(root: Path) -> List[Path]:
    folder = root / "domain"
    files = sorted(folder.rglob("*.yml")) if folder.is_dir() else []
    # domain.yml is the directory's link for Rasa's default path, or a domain of one file
    return files + ([root / "domain.yml"] if (root / "domain.yml").is_file() else [])


def _domain_buttons(root: Path) -> Iterable[Tuple[str, str, str]]:
    import yaml

    for path in _domain_files(root):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (data.get("responses") or {}).items():
            for variant in variants or []:
                for button in (variant or {}).get("buttons") or []:
                    if isinstance(button, dict) and button.get("title") and button.get("payload"):
                        yield str(button["title"]), str(button["payload"]), f"{path.relative_to(root)}:{name}"


def _code_buttons(root: Path) -> Iterable[Tuple[str, str, str]]:
    for folder in CODE_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Dict):
                    continue
                fields = {
                    k.value: v.value for k, v in zip(node.keys, node.values)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant) and isinstance(v.value, str)
                }
                if "title" in fields and "payload" in fields:
                    yield fields["title"], fields["payload"], f"{path.relative_to(root)}:{node.lineno}"


def all_buttons(root: Path) -> List[Tuple[str, str, str]]:
    """(title, payload, where) of every static button: the domain's responses and the code's literals."""
    return list(_domain_buttons(root)) + list(_code_buttons(root))


def _variants(title: str) -> List[str]:
    """The title as typed: normalised, and without a bracketed remark («УСН без НДС (0 %)» → «усн без ндс»)."""
    out = [normalise(title)]
    bare = normalise(re.sub(r"\([^)]*\)", " ", title))
    if bare and bare != out[0] and len(bare) >= 4:
        out.append(bare)
    return [v for v in out if v]


def title_map(buttons: Iterable[Tuple[str, str, str]]) -> Dict[str, str]:
    """Normalised typed title → payload (empty for a title that several payloads share)."""
    seen: Dict[str, set] = {}
    for title, payload, _ in buttons:
        if parse_payload(payload) is None:
            continue
        for variant in _variants(title):
            seen.setdefault(variant, set()).add(payload)
    # An ambiguous title stays in the map with no payload, so that no typo of it reaches a neighbour.
    return {title: next(iter(payloads)) if len(payloads) == 1 else "" for title, payloads in seen.items()}


def match(text: str, titles: Dict[str, str]) -> Optional[str]:
    """The payload of the button whose title the text is (one typo allowed for 5+ letters)."""
    typed = normalise(text)
    if not typed or typed.startswith("/"):
        return None
    if typed in titles:
        return titles[typed] or None
    candidates = [t for t in titles if close_to(typed, [t])]
    if len(candidates) == 1:
        return titles[candidates[0]] or None
    if not candidates and " " not in typed and len(typed) >= 6:
        # «подбор», «оценка»: the first word of exactly one title
        firsts = {titles[t] for t in titles if " " in t and t.split()[0] == typed}
        if len(firsts) == 1:
            return next(iter(firsts)) or None
    return None
