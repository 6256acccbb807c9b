"""The demo (``pics-sync demo``) and its oracle: checks whose expectations come from DOMAIN.md, not the product."""
