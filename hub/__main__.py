"""``python -m hub`` runs the CLI."""

from hub.entry import main

main()
