"""Small geographic helpers (no dependency: the haversine is all we need at city scale)."""

from __future__ import annotations

import math
import re
from typing import Optional

# The Kremlin: "the centre" for demo rates and zones.
CENTRE = (55.7520, 37.6175)
EARTH_RADIUS_M = 6_371_000.0

# Moscow with New Moscow and the MCD ends: a station outside this box is a data error.
MOSCOW_BBOX = {"lat": (55.10, 56.10), "lng": (36.80, 38.20)}

# Distances from the centre that bound the rings (approximate radii, metres).
TTK_RADIUS_M = 4_500.0
MKAD_RADIUS_M = 17_000.0

WALK_M_PER_MIN = 80.0
TRANSPORT_M_PER_MIN = 300.0

# Door-to-door speeds in Moscow, metres a minute, waiting and stops included: a walk at 4.8 km/h;
# a bus or tram ≈ 15 km/h (Mosgortrans' average route speed is 15–17 km/h); a minibus makes fewer
# stops, ≈ 18 km/h; a car in city traffic ≈ 21 km/h (the city's peak-hour average is 20–25 km/h);
# the metro ≈ 36 km/h with the wait (its timetable speed is ≈ 41 km/h).
MODE_M_PER_MIN = {
    "walk": WALK_M_PER_MIN,
    "bus": 250.0,
    "tram": 250.0,
    "minibus": 300.0,
    "car": 350.0,
    "metro": 600.0,
    "transport": TRANSPORT_M_PER_MIN,  # «на транспорте»: the kind is not said
}
MODE_NAMES = {
    "walk": "пешком", "bus": "на автобусе", "tram": "на трамвае", "minibus": "на маршрутке",
    "car": "на машине", "metro": "на метро", "transport": "на транспорте",
}
_W = "[а-яё]"
_MODES = [
    ("walk", re.compile(rf"(?<!{_W})(?:пешк{_W}*|пеш{_W}*|ходьб{_W}*|ногами|прогулк{_W}*|идти|дойти)", re.I)),
    ("minibus", re.compile(rf"маршрутк{_W}*|маршрутн{_W}*\s+такси", re.I)),
    ("bus", re.compile(rf"автобус{_W}*|троллейбус{_W}*|электробус{_W}*", re.I)),
    ("tram", re.compile(rf"трамва{_W}*", re.I)),
    ("car", re.compile(rf"(?<!{_W})(?:машин{_W}*|авто(?!бус){_W}*|такси|каршеринг{_W}*|колес{_W}*|за\s+рул{_W}*)", re.I)),
    ("metro", re.compile(rf"на\s+метро(?!{_W})|мцк|мцд|электричк{_W}*", re.I)),
    ("transport", re.compile(rf"транспорт{_W}*|езд{_W}*|ехать|доехать|общественн{_W}*", re.I)),
]


def transport_mode(text: str) -> Optional[str]:
    """The way to the metro named in the words (the first one said), or None."""
    found = [(m.start(), mode) for mode, pattern in _MODES for m in [pattern.search(text or "")] if m]
    return min(found)[1] if found else None


def minutes_to_m(minutes: float, mode: str) -> float:
    return minutes * MODE_M_PER_MIN.get(mode, WALK_M_PER_MIN)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def in_moscow(lat: float, lng: float) -> bool:
    return (
        MOSCOW_BBOX["lat"][0] <= lat <= MOSCOW_BBOX["lat"][1]
        and MOSCOW_BBOX["lng"][0] <= lng <= MOSCOW_BBOX["lng"][1]
    )


def distance_to_centre_m(lat: float, lng: float) -> float:
    return haversine_m(lat, lng, *CENTRE)


def zone_of(lat: float, lng: float) -> str:
    """`ttk`, `mkad` or `outside`, by distance from the centre (the rings are nearly round)."""
    d = distance_to_centre_m(lat, lng)
    if d <= TTK_RADIUS_M:
        return "ttk"
    if d <= MKAD_RADIUS_M:
        return "mkad"
    return "outside"


def point(lat: float, lng: float) -> dict:
    return {"type": "Point", "coordinates": [lng, lat]}
