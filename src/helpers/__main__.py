"""``python -m helpers``: see ``helpers.cli``."""

from helpers.cli import main

raise SystemExit(main())
