"""Tests of harvia_simulator, the local fake of the Harvia cloud."""
