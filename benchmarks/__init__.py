"""Performance benchmarks of bayeshcc (``python -m benchmarks``); figures, not timed tests."""
