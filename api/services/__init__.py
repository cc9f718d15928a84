"""The API's own rules: tokens (create, revoke, authenticate) and Idempotency-Key replays."""
