"""Security: log-in throttling, sessions, response headers, CSP, production settings."""
