"""Network plumbing under the SDK clients."""
