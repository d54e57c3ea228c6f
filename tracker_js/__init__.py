"""The tracking snippet `v.js` (a data package: no Python runs here).

The server reads `v.js` from this package, minifies it once and serves it at
`GET /v.js`; see `server/snippet.py` and `tracker_js/README.md`.
"""
