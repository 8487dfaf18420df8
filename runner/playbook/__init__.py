"""st-run playbook package."""
