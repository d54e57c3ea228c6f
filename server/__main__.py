"""`python -m server` is the `vigie` command."""

from server.cli import main

main()
