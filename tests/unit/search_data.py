"""A small fixed set of offers for the search tests, every value chosen by hand."""

from wewall.geo import point

# Around Белорусская (inside ТТК by our zones) and further out.
LAT, LNG = 55.7775, 37.5823


def offer(oid, deal="sale", type_="office", price=None, area=100.0, zone="ttk", cls="A", minutes=5,
          finish="ready", readiness="ready", irr=None, station="Белорусская", lat=LAT, lng=LNG, **extra):
    doc = {
        "_id": oid, "source": "test", "deal": deal, "type": type_, "name": f"БЦ {oid}", "address": "Москва",
        "location": point(lat, lng), "zone": zone, "area_m2": float(area), "finish": finish, "readiness": readiness,
        "metro": [{"station": station, "line": "", "distance_m": minutes * 80, "walk_minutes": minutes}],
        "photos": [], "description": "",
    }
    if cls:
        doc["estate_class"] = cls
    if price is None:
        doc["price_on_request"] = True
        doc["price_per_m2"] = None
        doc["price_rub" if deal == "sale" else "rent_rub_month"] = None
    else:
        doc["price_on_request"] = False
        doc["price_rub" if deal == "sale" else "rent_rub_month"] = float(price)
        doc["price_per_m2"] = round(price / area, 2)
    if irr is not None:
        doc["irr_percent"] = irr
    doc.update(extra)
    return doc


M = 1_000_000


def edge_offers():
    """Office sale around a budget of 100 M ₽ and a minimum area of 100 m²."""
    return [
        offer("budget-exact", price=110 * M, area=120),  # budget × 1.10 exactly: in
        offer("budget-over", price=110 * M + 1, area=120),  # one rouble more: out
        offer("under", price=90 * M, area=120),
        offer("on-request", price=None, area=120),  # never matched by a budget
        offer("area-exact", price=50 * M, area=90.0),  # min area × 0.90 exactly: in
        offer("area-short", price=50 * M, area=89.99),  # out
        offer("class-b", price=80 * M, area=120, cls="B"),
        offer("mkad", price=80 * M, area=120, zone="mkad"),
        offer("outside", price=80 * M, area=120, zone="outside"),
        offer("far-metro", price=80 * M, area=120, minutes=25),
        offer("shell", price=80 * M, area=120, finish="shell"),
        offer("building", price=80 * M, area=120, readiness="4Q2027"),
        offer("retail", type_="retail", price=80 * M, area=120, cls=None),
        offer("rent", deal="rent", price=900_000, area=120),
        offer("rent-on-request", deal="rent", price=None, area=120),
    ]
