"""ledgerly: invoicing backend."""
