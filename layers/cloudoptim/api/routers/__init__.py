"""One router per resource; each route parses, calls one tenancy use case, and shapes the answer."""
