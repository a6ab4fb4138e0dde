"""Hand-off to sales, the pure core: which team and rep a ready lead goes to, when its first contact is due,
what is overdue and who hears about it; the call queue, call outcomes, calendars and conversion.

Nothing here opens a session or reads the clock: services pass plain values in and write the results.
"""
