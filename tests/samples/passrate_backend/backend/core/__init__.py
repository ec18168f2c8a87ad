"""shopfront core: auth, pricing, inventory, pagination, vector search."""
