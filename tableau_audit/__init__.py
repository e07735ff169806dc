"""tableau-audit: what confidential data a Tableau workbook carries, who can see and download it."""

__version__ = "0.1.0"
