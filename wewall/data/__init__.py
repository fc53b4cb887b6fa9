"""Data loading: station import, range tables, demo data. The `wewall data` commands call these."""
