"""Business rules for customer records, one module per entity."""
