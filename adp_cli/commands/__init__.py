"""One library call per CLI command: each takes a typed request and returns data (results,
rows, events) for the CLI layer to render. Nothing here writes to the terminal."""
