"""Choices that shape the measures: decision activities, handoff granularity."""
