"""Lead lists: named leads an organisation imports from CSV, scored on their
e-mail, phone, country and language, joined to their company's account.

Unlike the anonymous web side, a lead is personal data. It is the customer's
own (Vigie processes it for them), stored per organisation only, never sent to
an enrichment provider, erased on request and purged after
`VIGIE_LEAD_RETENTION_DAYS`.

    reading.py    a CSV file: encoding, delimiter, headers, records with line numbers
    importing.py  a file into a list: mapping, idempotent append, bad rows named
    scoring.py    the library's classification and score, written on each lead
    companies.py  a lead's company domain → its account (created if absent)
    query.py      the Leads page's and the API's filters, pages and export rows
    export.py     the CSV (and French Excel) export, injection-safe
    uploads.py    an uploaded file kept between its upload and its column mapping
"""
