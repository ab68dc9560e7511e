"""Threshold alerts: rules per centre, their evaluation, their state in the store and the
notifications (``callkpi_alert`` hook, signed JSON webhooks) sent when a rule changes state."""
