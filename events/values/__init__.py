"""Value types: dates (EDTF), parties (ISO 3166), money (ISO 4217)."""
