"""Name, street and city pools for the sample-data generator (CSV files, read once)."""

from __future__ import annotations
