"""API fuzzing: schemathesis against the OpenAPI schema, in-process."""
