"""Services: one unit of work per call, the core's rules applied to the store. Shells call these only."""
