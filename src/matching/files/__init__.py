"""Files: reading and writing tables safely (CSV, Excel, JSON), and the header rules.

The lowest stage: imports nothing of the library but :mod:`matching.errors`.
"""
