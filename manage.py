#!/usr/bin/env python
"""Same as the ``pipewise`` console script, for people who type manage.py."""

from pipewise.cli import main

if __name__ == "__main__":
    main()
