"""Post-call survey gateway (filled by the survey-gateway work)."""
