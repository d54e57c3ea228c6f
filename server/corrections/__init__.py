"""Users correcting what resolution found, and where each account came from.

    provenance.py   the signal that identified an account, and its confidence
    store.py        an organisation's network corrections: save, list, undo, compile
    accounts.py     merging two accounts and renaming one
    retroactive.py  a correction applied to the events already stored

The resolver applies an organisation's corrections to its sites' traffic
(`enrich.corrections`, carried by the collector's site cache); what is stored
already changes only when a user asks for it.
"""
