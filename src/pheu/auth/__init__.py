"""Who may do what: roles, principals, passwords and API keys."""
