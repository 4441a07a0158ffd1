"""PDF rendering for reports: bundled fonts, one escaping helper, one document template."""
