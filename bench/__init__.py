"""Lotse's benchmark suite (issue #5): one script per measure, a shared harness, `make bench` / `make bench-quick`."""
