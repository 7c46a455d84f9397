"""Workflows of the studies app, one module per feature; views, commands and tasks call them."""
