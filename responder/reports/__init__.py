"""Anonymous statistics and exports: the daily counts read over a period and written out.

Nothing here reads a message, a contact or a counsellor: only the anonymous daily
counts, so an export can leave the helpline without carrying anyone in it.
"""
