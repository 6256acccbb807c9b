"""Pure rules: (event, settings, links) → Plan. One module per domain concept."""
