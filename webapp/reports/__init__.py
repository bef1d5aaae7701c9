"""Reports over many items: the annual statistics (and, later, the ledgers)."""
