"""marshmallow schemas: form and API input, import validation, plugin and theme settings."""
