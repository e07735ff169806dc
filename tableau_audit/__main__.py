"""Allow ``python -m tableau_audit``."""

from tableau_audit.entry import main

if __name__ == "__main__":
    main()
