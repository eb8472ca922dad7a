"""One ComponentResource per tier, the typed stack config and the chain table."""
