"""Drawings: process, handoff and difference maps as graphviz graphs, charts, and files."""
