"""The presentation layer: what a page shows, built from the analyses' tidy frames.

``format`` (display strings, the only rounding), ``prose`` (every generated word),
``tables`` and ``figures`` (with the chapter-specific builders in ``safety`` and
``markers``), ``disclosure`` (small-count suppression of the public profile).
"""
