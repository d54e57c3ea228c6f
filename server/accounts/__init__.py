"""Accounts as the dashboard, the API and `vigie export` see them.

    filters.py     query-string filters → `AccountFilters` (or `InvalidInput`)
    listing.py     a page of `AccountRow`s and an account's detail, per organisation
    csv_export.py  every matching account as streamed CSV text

Every query takes the organisation id first, so another organisation's
accounts read as missing.
"""
