"""The standard contact-centre KPI catalogue (filled by the KPI-engine work)."""
