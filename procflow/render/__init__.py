"""Drawings: process maps, handoff maps and model diagrams as graphviz graphs, and files."""
