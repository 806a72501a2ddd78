"""Anonymised insights: what closed tickets were about, as counts that can be published safely."""
