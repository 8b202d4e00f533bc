"""Pipewise: a sales management system."""
