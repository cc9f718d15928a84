"""The API's operations, one module per part: leads, qualify, records."""
