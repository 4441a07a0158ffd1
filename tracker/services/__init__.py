"""Use-cases over the case records: f(session, *, ...), the project's own errors, no HTTP."""
