"""The sync-state repositories: the only code that writes SQL to schema ``sync``."""
