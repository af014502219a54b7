"""Views of the SaaS staff console, one module per tab."""
