"""The dashboard: static pages and one vendored client library served at `/` of the API app itself (same origin,
same artifact). The pages hold no data and need no sign-in; every figure they show comes from the API, called with
the user's own bearer token, so tenancy and roles are enforced exactly where they are for any other client."""
