"""The worked check of ../shared/domain/finance-model.md as the model's inputs: one finished
office and one under construction. The tests check the model against them; bench/ times them."""

FINISHED = dict(
    kind="finished_office", area_m2=700, price_per_m2=500_000, repairs="full", nds_rate=5,
    rent_rate=60_000, cadastral=250_000, as_of="2026-01-15",
)
BUILDING = dict(
    FINISHED, kind="building_office", price_per_m2=400_000, price_ready=520_000, readiness="3Q2027",
    tranches={"1Q2026": 60, "3Q2026": 20, "1Q2027": 20},
)
