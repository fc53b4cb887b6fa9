"""Import of the hh.ru metro API format (`GET https://api.hh.ru/metro`) into `subway_stations`.

A transfer station appears once per line in that format; we keep one document per name,
listing its lines. Coordinates outside Moscow, or far from both neighbours on the line, are
refused (reported, not stored): a wrong point would silently break nearest-station search.
"""

from __future__ import annotations

import itertools
import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from wewall.data.names import display_name, name_key
from wewall.geo import haversine_m, in_moscow, point

MOSCOW_ID = "1"
# A station this much farther from both neighbours than the line's typical spacing is suspect.
NEIGHBOUR_FACTOR = 4.0
NEIGHBOUR_MIN_M = 8_000.0


@dataclass
class Refusal:
    name: str
    line: str
    lat: float
    lng: float
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.line}): {self.lat}, {self.lng} — {self.reason}"


@dataclass
class StationImport:
    stations: List[dict]
    refused: List[Refusal] = field(default_factory=list)
    entries: int = 0
    lines: int = 0


def _moscow(data: list) -> dict:
    for city in data:
        if str(city.get("id")) == MOSCOW_ID:
            return city
    raise ValueError("в файле нет Москвы (элемента с id \"1\"): это не ответ hh.ru /metro")


def _suspect_by_neighbours(stations: List[dict]) -> Dict[int, str]:
    """Indexes of stations far from both neighbours on their line, with the reason."""
    ordered = sorted(range(len(stations)), key=lambda i: stations[i].get("order", 0))
    coords = [(stations[i]["lat"], stations[i]["lng"]) for i in ordered]
    if len(coords) < 3:
        return {}
    gaps = [haversine_m(*a, *b) for a, b in itertools.pairwise(coords)]
    nearest = [min(gaps[max(0, pos - 1) : pos + 1]) for pos in range(len(coords))]
    # The median of nearest-neighbour gaps: a single wrong point cannot inflate it.
    limit = max(NEIGHBOUR_MIN_M, NEIGHBOUR_FACTOR * statistics.median(nearest))
    suspects = {}
    for pos, idx in enumerate(ordered):
        if nearest[pos] > limit:
            suspects[idx] = f"в {nearest[pos] / 1000:.1f} км от соседних станций линии"
    return suspects


def parse_hh_metro(data: list) -> StationImport:
    city = _moscow(data)
    merged: Dict[str, dict] = {}
    refused: List[Refusal] = []
    entries = 0
    for line in city.get("lines", []):
        line_info = {"id": str(line.get("id")), "name": line.get("name", ""), "color": line.get("hex_color", "")}
        raw_stations = line.get("stations", [])
        in_box = [s for s in raw_stations if in_moscow(float(s["lat"]), float(s["lng"]))]
        suspects = _suspect_by_neighbours(in_box)
        suspect_ids = {id(in_box[i]): reason for i, reason in suspects.items()}
        for st in raw_stations:
            entries += 1
            lat, lng = float(st["lat"]), float(st["lng"])
            name = display_name(st["name"])
            key = name_key(st["name"])
            doc = merged.setdefault(
                key,
                {"_id": key, "name": name, "name_key": key, "lines": [], "hh_ids": [], "_points": []},
            )
            doc["lines"].append(line_info)
            doc["hh_ids"].append(str(st.get("id")))
            if not in_moscow(lat, lng):
                refused.append(Refusal(name, line_info["name"], lat, lng, "вне Москвы"))
            elif id(st) in suspect_ids:
                refused.append(Refusal(name, line_info["name"], lat, lng, suspect_ids[id(st)]))
            else:
                doc["_points"].append((lat, lng))
    stations = []
    for doc in merged.values():
        pts = doc.pop("_points")
        if pts:
            lat = sum(p[0] for p in pts) / len(pts)
            lng = sum(p[1] for p in pts) / len(pts)
            doc.update(lat=round(lat, 6), lng=round(lng, 6), location=point(lat, lng))
        else:
            doc.update(lat=None, lng=None, location=None)
        stations.append(doc)
    stations.sort(key=lambda d: d["name_key"])
    return StationImport(stations, refused, entries, len(city.get("lines", [])))


def read_hh_metro(path: Path) -> StationImport:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"файл не найден: {path}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: это не JSON ({exc})") from None
    if not isinstance(data, list):
        raise ValueError(f"{path}: ожидался список городов, как в ответе hh.ru /metro")
    return parse_hh_metro(data)


def with_positions(stations: Iterable[dict]) -> List[Tuple[str, float, float]]:
    """(name, lat, lng) of stations whose coordinates were accepted."""
    return [(s["name"], s["lat"], s["lng"]) for s in stations if s.get("lat") is not None]


def nearest_station(stations: Iterable[dict], lat: float, lng: float) -> Optional[Tuple[str, float]]:
    best = None
    for name, slat, slng in with_positions(stations):
        d = haversine_m(lat, lng, slat, slng)
        if best is None or d < best[1]:
            best = (name, d)
    return best
