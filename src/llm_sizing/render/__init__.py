"""Renderers: a Sizing in, text out. No renderer computes a number; they format what the Sizing holds."""
