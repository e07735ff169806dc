"""tableau-audit: what confidential data a Tableau workbook carries, who can see it, who can download it."""

__version__ = "0.1.0"
