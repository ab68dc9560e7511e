"""Live views of a centre: the realtime snapshot, the wallboard (Server-Sent Events) and
threshold alerts with signed webhooks. Registered as a core plugin by :mod:`.plugin`."""
