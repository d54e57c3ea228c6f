"""CRM connectors in the server: per-organisation connections, pushes and their log.

    secrets.py      tokens and client secrets encrypted at rest (key from VIGIE_SECRET_KEY)
    connections.py  an organisation's connection to each CRM: settings, mapping, test
    push.py         which accounts may go, what is written, the sync log, the status read back

The connectors themselves are the pure `enrich.crm` package; the jobs that run
pushes are in `server/jobs/crm.py`, the pages in `server/web/integrations.py`
and the commands in `server/cli/crm.py`.
"""
