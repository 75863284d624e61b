"""Desk Pemilu Bot: configuration, application factory, command line and entry point."""
