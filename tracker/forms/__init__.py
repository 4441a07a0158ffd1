"""Flask-WTF forms: they check what people type and hand domain values to the views."""
