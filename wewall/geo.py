"""Small geographic helpers (no dependency: the haversine is all we need at city scale)."""

from __future__ import annotations

import math

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
